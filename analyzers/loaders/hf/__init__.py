"""Hugging Face configs: ``loader`` builds the model from ``config.json`` on the meta device
(no weights, no network) and exports it; ``inputs`` makes its example inputs from
``--batch`` / ``--seq-len`` and the config."""
