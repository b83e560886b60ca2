"""The training half: text -> tokens -> vocabulary -> batches -> model -> optimizer, one loop.

torch lives here and only here (config, corpus and vocab do not import it). The querying half
(vectors, formats, similarity, reduce, plot, explore) never imports this package.
Start with `train.train` (the four phases) and `config.TrainConfig` (every hyperparameter).
"""
