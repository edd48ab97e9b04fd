"""Architecture search on DigitsMLP-Bench (chapter 6): the data, the search space, the tabular benchmark,
search strategies, performance predictors and hyperparameter optimisation. Self-modification is in
selfrep.selfmod."""
