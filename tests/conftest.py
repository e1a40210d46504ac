"""Suite-wide settings: Qt renders offscreen, Hugging Face never reaches the network."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRNPORT_NO_HISTORY", "1")
# every analysis loads its model afresh, unless a test of the graph cache turns it on
os.environ.setdefault("TRNPORT_NO_CACHE", "1")
# imported TorchNeuron tables: none, unless a test imports its own into a folder of its own
os.environ.setdefault("TRNPORT_TORCHNEURON_TABLES", os.path.join(os.path.dirname(__file__),
                                                                 "fixtures", "no-tables"))
