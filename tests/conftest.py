"""Suite-wide settings: Qt renders offscreen, Hugging Face never reaches the network."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRNPORT_NO_HISTORY", "1")
