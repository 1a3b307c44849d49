"""fem_cqd: finite-element electro-thermal and gain solver for colloidal-quantum-dot emitters."""
from .errors import ConvergenceError, InputError

__version__ = "0.1.0"

__all__ = ["ConvergenceError", "InputError"]
