"""The target bar: hardware family or instance, mode, dtype, batch, sequence, TP, SDK and
PyTorch stack."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from trnport.analyzers.options import DTYPES, MODES, STACKS, TARGET_FAMILIES

#: (family, SDK profile or None for the newest) → [(stack, status, is default)]
StackOffers = Callable[[str, str | None], list[tuple[str, str, bool]]]


def _combo(items, current=None, tooltip="") -> QComboBox:
    combo = QComboBox()
    for item in items:
        combo.addItem(item)
    if current is not None and current in items:
        combo.setCurrentText(current)
    combo.setToolTip(tooltip)
    return combo


def _spin(minimum, maximum, value, tooltip, special=None) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(minimum, maximum)
    spin.setValue(value)
    spin.setToolTip(tooltip)
    if special:
        spin.setSpecialValueText(special)
    return spin


class TargetBar(QWidget):
    """Edits the target options; ``changed`` fires with a dict of AnalysisOptions fields."""

    changed = Signal(dict)

    def __init__(self, profiles: list[str], instances: dict[str, list[str]], parent=None,
                 stacks: StackOffers | None = None):
        super().__init__(parent)
        self._instances = instances
        self._stacks = stacks
        self.family = _combo(TARGET_FAMILIES, "trn2", "Neuron hardware family")
        self.instance = _combo([], tooltip="Instance type (default: the family's default instance)")
        self.mode = _combo(MODES, "inference", "Inference or training")
        self.dtype = _combo(DTYPES, "bf16", "dtype the model runs in")
        self.batch = _spin(1, 65536, 1, "Batch size of the example inputs")
        self.seq_len = _spin(0, 1_048_576, 0, "Sequence length (configs only)", "auto")
        self.tp = _spin(0, 256, 0, "Tensor-parallel degree (auto: the smallest that fits the "
                        "instance)", "auto")
        self.ep = _spin(1, 128, 1, "Expert-parallel degree of mixture-of-experts layers "
                        "(divides TP)")
        self.sdk = _combo(["newest", *profiles], "newest", "Neuron SDK profile")
        self.stack = _combo(["default", *STACKS], "default",
                            "PyTorch stack: the SDK line's default for the target, PyTorch/XLA "
                            "(xla) or TorchNeuron (torchneuron)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        for label, widget in (("Target", self.family), ("Instance", self.instance),
                              ("Mode", self.mode), ("dtype", self.dtype),
                              ("Batch", self.batch), ("Seq", self.seq_len), ("TP", self.tp),
                              ("EP", self.ep), ("SDK", self.sdk), ("Stack", self.stack)):
            caption = QLabel(label)
            caption.setBuddy(widget)
            layout.addWidget(caption)
            layout.addWidget(widget)
        layout.addStretch(1)
        self._fill_instances()
        self._mark_stacks()
        self.family.currentTextChanged.connect(self._fill_instances)
        for combo in (self.family, self.sdk):
            combo.currentTextChanged.connect(self._mark_stacks)
        for combo in (self.family, self.instance, self.mode, self.dtype, self.sdk, self.stack):
            combo.currentTextChanged.connect(self._emit)
        for spin in (self.batch, self.seq_len, self.tp, self.ep):
            spin.valueChanged.connect(self._emit)

    def _fill_instances(self, *_):
        self.instance.blockSignals(True)
        self.instance.clear()
        self.instance.addItem("default")
        for name in self._instances.get(self.family.currentText(), []):
            self.instance.addItem(name)
        self.instance.blockSignals(False)

    def _mark_stacks(self, *_) -> None:
        """Enable only the stacks the chosen SDK line offers the family, and say in the
        tooltip and the "default" entry which they are; a stack no longer offered goes
        back to the default."""
        if self._stacks is None:
            return
        sdk = self.sdk.currentText()
        offers = self._stacks(self.family.currentText(), None if sdk == "newest" else sdk)
        offered = {stack: status for stack, status, _ in offers}
        default = next((stack for stack, _, is_default in offers if is_default), None)
        model = self.stack.model()
        for row in range(self.stack.count()):
            name = self.stack.itemText(row)
            item = model.item(row)  # type: ignore[attr-defined]
            enabled = row == 0 or name in offered
            flags = item.flags()
            item.setFlags(flags | Qt.ItemFlag.ItemIsEnabled if enabled
                          else flags & ~Qt.ItemFlag.ItemIsEnabled)
        if self.stack.currentText() not in ("default", *offered):
            self.stack.setCurrentIndex(0)
        described = ", ".join(f"{stack}{'*' if stack == default else ''} "
                              f"({status.replace('-', ' ')})" for stack, status in
                              offered.items()) or "none"
        self.stack.setToolTip(f"PyTorch stack on {self.family.currentText()} with SDK {sdk}: "
                              f"{described} (* the default)")

    def values(self) -> dict:
        instance = self.instance.currentText()
        sdk = self.sdk.currentText()
        stack = self.stack.currentText()
        return {
            "target": self.family.currentText(),
            "instance": None if instance in ("", "default") else instance,
            "mode": self.mode.currentText(), "dtype": self.dtype.currentText(),
            "batch": self.batch.value(), "seq_len": self.seq_len.value() or None,
            "tp": self.tp.value() or None, "ep": self.ep.value(),
            "sdk": None if sdk == "newest" else sdk,
            "stack": None if stack == "default" else stack,
        }

    def set_values(self, values: dict) -> None:
        """Restore saved choices; unknown or stale values are ignored."""
        for key, combo in (("target", self.family), ("mode", self.mode),
                           ("dtype", self.dtype)):
            if values.get(key):
                combo.setCurrentText(str(values[key]))
        if values.get("instance"):
            self.instance.setCurrentText(str(values["instance"]))
        if values.get("sdk"):
            self.sdk.setCurrentText(str(values["sdk"]))
        if values.get("stack"):
            self.stack.setCurrentText(str(values["stack"]))
            self._mark_stacks()
        for key, spin in (("batch", self.batch), ("seq_len", self.seq_len), ("tp", self.tp),
                          ("ep", self.ep)):
            if key == "tp" and key in values and values[key] is None:
                spin.setValue(0)  # auto
                continue
            try:
                spin.setValue(int(values.get(key) or spin.value()))
            except (TypeError, ValueError):
                pass

    def _emit(self, *_):
        self.changed.emit(self.values())
