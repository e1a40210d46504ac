"""Training-mode analysis: backward ops of the joint graph get verdicts too."""

from trnport.analyzers.training.joint import BACKWARD_PREFIX, add_backward, joint_graph

__all__ = ["BACKWARD_PREFIX", "add_backward", "joint_graph"]
