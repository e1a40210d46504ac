"""The Graph tab: the model's dataflow graph coloured by verdict (see :mod:`.graph_tab`)."""
