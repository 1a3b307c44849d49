"""fem_cqd: finite-element electro-thermal and gain solver for colloidal-quantum-dot emitters."""
from .errors import ConvergenceError, InputError

__all__ = ["ConvergenceError", "InputError"]
