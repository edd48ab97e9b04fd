"""Self-modification (chapter 6b): networks that change their own architecture or weights through a learned
or evolved mechanism: a graph hypernetwork (hypernet), an edit network on Net2Net operations (editnet,
net2net), lottery-ticket pruning (lottery), SeRANN-lite self-replication (serann); `common` holds what they
share, `baselines` their comparison with DigitsMLP-Bench (selfrep.archsearch)."""
