"""A Solver that trains a classification model by minibatch gradient descent (given to students).

Used by HW3, HW4 and HW5. The model is any object with

- ``model.params``: a dict from parameter names (``"W1"``, ``"b1"``, ...) to numpy arrays;
- ``model.loss(X, y=None)``: with ``y=None``, the class scores (N, C) for a
  minibatch X (N, d1, ..., dk); with labels y (N,), a tuple ``(loss, grads)``
  where ``grads`` has the same keys as ``params`` and arrays of the same shapes.

An update rule is a function ``next_w, next_config = rule(w, dw, config)``:
``w`` and ``dw`` are arrays of the same shape (a parameter and its gradient),
``config`` a dict of hyperparameters (``learning_rate``, ...) and state the rule
keeps between steps (velocities, moments, the step count). The rule may change
``w`` in place as long as it returns the new weights. Only ``"sgd"`` is built in;
pass your own function as ``update_rule``, or register it by name::

    import solver
    solver.UPDATE_RULES["adam"] = adam        # then Solver(..., update_rule="adam")
    Solver(model, data, update_rule=adam)     # or pass the function itself

Example::

    data = {"X_train": X_train, "y_train": y_train, "X_val": X_val, "y_val": y_val}
    model = TwoLayerNet(input_dim=64, hidden_dim=100, num_classes=10)
    s = Solver(model, data, update_rule="sgd", optim_config={"learning_rate": 1e-1},
               lr_decay=0.95, num_epochs=10, batch_size=100, print_every=100)
    s.train()
    # model.params now holds the parameters of the best validation accuracy;
    # s.loss_history, s.train_acc_history, s.val_acc_history for plots.
"""

from __future__ import annotations

import pickle
from typing import Any, Callable

import numpy as np

__all__ = ["Solver", "sgd", "UPDATE_RULES"]

UpdateRule = Callable[[np.ndarray, np.ndarray, "dict | None"], "tuple[np.ndarray, dict]"]


def sgd(w: np.ndarray, dw: np.ndarray, config: dict | None = None) -> tuple[np.ndarray, dict]:
    """Vanilla stochastic gradient descent: w <- w - learning_rate * dw.

    Inputs:
    - w: a parameter, any shape.
    - dw: its gradient, shaped like w.
    - config: dict with ``learning_rate`` (default 1e-2).

    Returns:
    - next_w: the updated parameter, shaped like w.
    - config: the same dict (with the default filled in).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    next_w = w - config["learning_rate"] * dw
    return next_w, config


#: Update rules by name. Add your own: ``UPDATE_RULES["sgd_momentum"] = sgd_momentum``.
UPDATE_RULES: dict[str, UpdateRule] = {"sgd": sgd}


class Solver:
    """Trains a model on a dataset and keeps the parameters of the best validation accuracy.

    Attributes after ``train()``:
    - ``loss_history``: list of the minibatch loss at every iteration.
    - ``train_acc_history``, ``val_acc_history``: lists of the accuracy at the
      end of every epoch (and before the first iteration).
    - ``best_val_acc``, ``best_params``: the best validation accuracy and a copy
      of the parameters that reached it; ``model.params`` holds them at the end.
    """

    def __init__(self, model: Any, data: dict, update_rule: str | UpdateRule = "sgd",
                 optim_config: dict | None = None, lr_decay: float = 1.0, batch_size: int = 100,
                 num_epochs: int = 10, num_train_samples: int | None = 1000,
                 num_val_samples: int | None = None, print_every: int = 10, verbose: bool = True,
                 checkpoint_name: str | None = None, seed: int | None = None) -> None:
        """Inputs:
        - model: an object with ``params`` and ``loss(X, y=None)`` (see the module docstring).
        - data: dict with ``X_train`` (N_train, d1, ..., dk), ``y_train`` (N_train,),
          ``X_val`` (N_val, d1, ..., dk), ``y_val`` (N_val,).
        - update_rule: a name in ``UPDATE_RULES`` (built in: ``"sgd"``) or a function
          ``rule(w, dw, config) -> (next_w, next_config)``.
        - optim_config: hyperparameters given to the update rule (e.g. ``learning_rate``);
          each parameter gets its own copy, so per-parameter state stays separate.
        - lr_decay: the learning rate is multiplied by this after every epoch.
        - batch_size: minibatch size.
        - num_epochs: number of passes over the training data.
        - num_train_samples: how many training samples the accuracy check uses
          (a random subset; None for all).
        - num_val_samples: the same for validation (None for all).
        - print_every: print the loss every this many iterations (when verbose).
        - verbose: print progress.
        - checkpoint_name: if given, pickle a checkpoint to ``<name>_epoch_<e>.pkl`` after every epoch.
        - seed: seed of the generator that draws minibatches and accuracy subsets
          (None: a fresh one each run).
        """
        self.model = model
        self.X_train = data["X_train"]
        self.y_train = data["y_train"]
        self.X_val = data["X_val"]
        self.y_val = data["y_val"]

        if isinstance(update_rule, str):
            if update_rule not in UPDATE_RULES:
                known = ", ".join(sorted(UPDATE_RULES))
                raise ValueError(
                    f'Solver: unknown update_rule "{update_rule}" (known: {known}). Pass your own '
                    f'function as update_rule=..., or register it: solver.UPDATE_RULES["{update_rule}"] = fn'
                )
            self.update_rule: UpdateRule = UPDATE_RULES[update_rule]
        elif callable(update_rule):
            self.update_rule = update_rule
        else:
            raise TypeError(f"Solver: update_rule must be a name or a function, got {type(update_rule).__name__}")
        self.update_rule_name = update_rule if isinstance(update_rule, str) else getattr(update_rule, "__name__", "custom")
        self.optim_config = dict(optim_config or {})
        self.lr_decay = lr_decay
        self.batch_size = batch_size
        self.num_epochs = num_epochs
        self.num_train_samples = num_train_samples
        self.num_val_samples = num_val_samples
        self.print_every = print_every
        self.verbose = verbose
        self.checkpoint_name = checkpoint_name
        self.rng = np.random.default_rng(seed)
        self._reset()

    def _reset(self) -> None:
        """Book-keeping: histories, best parameters, one optim config per parameter."""
        self.epoch = 0
        self.best_val_acc = 0.0
        self.best_params: dict[str, np.ndarray] = {}
        self.loss_history: list[float] = []
        self.train_acc_history: list[float] = []
        self.val_acc_history: list[float] = []
        self.optim_configs = {p: dict(self.optim_config) for p in self.model.params}

    def _step(self) -> None:
        """One gradient update on a random minibatch (called by ``train``)."""
        num_train = self.X_train.shape[0]
        batch_mask = self.rng.choice(num_train, min(self.batch_size, num_train), replace=False)
        X_batch = self.X_train[batch_mask]
        y_batch = self.y_train[batch_mask]

        loss, grads = self.model.loss(X_batch, y_batch)
        self.loss_history.append(float(loss))

        for p, w in list(self.model.params.items()):
            dw = grads[p]
            next_w, next_config = self.update_rule(w, dw, self.optim_configs[p])
            self.model.params[p] = next_w
            self.optim_configs[p] = next_config if next_config is not None else self.optim_configs[p]

    def _save_checkpoint(self) -> None:
        if self.checkpoint_name is None:
            return
        checkpoint = {
            "model": self.model,
            "update_rule": self.update_rule_name,
            "lr_decay": self.lr_decay,
            "optim_config": self.optim_config,
            "batch_size": self.batch_size,
            "num_train_samples": self.num_train_samples,
            "num_val_samples": self.num_val_samples,
            "epoch": self.epoch,
            "loss_history": self.loss_history,
            "train_acc_history": self.train_acc_history,
            "val_acc_history": self.val_acc_history,
        }
        filename = f"{self.checkpoint_name}_epoch_{self.epoch}.pkl"
        if self.verbose:
            print(f'Saving checkpoint to "{filename}"')
        with open(filename, "wb") as f:
            pickle.dump(checkpoint, f)

    def check_accuracy(self, X: np.ndarray, y: np.ndarray, num_samples: int | None = None,
                       batch_size: int = 100) -> float:
        """The model's accuracy on (X, y).

        Inputs:
        - X: data (N, d1, ..., dk).
        - y: labels (N,).
        - num_samples: if given and less than N, use a random subset of this many.
        - batch_size: how many samples each call to ``model.loss`` scores.

        Returns:
        - acc: the fraction of samples classified correctly, in [0, 1].
        """
        N = X.shape[0]
        if num_samples is not None and N > num_samples:
            mask = self.rng.choice(N, num_samples, replace=False)
            N = num_samples
            X = X[mask]
            y = y[mask]
        y_pred = []
        for start in range(0, N, batch_size):
            scores = self.model.loss(X[start:start + batch_size])
            y_pred.append(np.argmax(scores, axis=1))
        y_pred = np.concatenate(y_pred) if y_pred else np.zeros(0, dtype=np.int64)
        return float(np.mean(y_pred == y)) if N else 0.0

    def train(self) -> None:
        """Run ``num_epochs`` epochs of minibatch updates, then keep the best parameters in the model."""
        num_train = self.X_train.shape[0]
        iterations_per_epoch = max(num_train // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch

        for t in range(num_iterations):
            self._step()
            if self.verbose and t % self.print_every == 0:
                print(f"(Iteration {t + 1} / {num_iterations}) loss: {self.loss_history[-1]:f}")

            epoch_end = (t + 1) % iterations_per_epoch == 0
            if epoch_end:
                self.epoch += 1
                for k in self.optim_configs:
                    if "learning_rate" in self.optim_configs[k]:
                        self.optim_configs[k]["learning_rate"] *= self.lr_decay

            first_it = t == 0
            last_it = t == num_iterations - 1
            if first_it or last_it or epoch_end:
                train_acc = self.check_accuracy(self.X_train, self.y_train, num_samples=self.num_train_samples)
                val_acc = self.check_accuracy(self.X_val, self.y_val, num_samples=self.num_val_samples)
                self.train_acc_history.append(train_acc)
                self.val_acc_history.append(val_acc)
                self._save_checkpoint()
                if self.verbose:
                    print(f"(Epoch {self.epoch} / {self.num_epochs}) train acc: {train_acc:f}; val_acc: {val_acc:f}")
                if val_acc > self.best_val_acc or not self.best_params:
                    self.best_val_acc = val_acc
                    self.best_params = {k: np.array(v, copy=True) for k, v in self.model.params.items()}

        if self.best_params:
            self.model.params = self.best_params
