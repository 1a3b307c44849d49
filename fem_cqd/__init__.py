"""fem_cqd: finite-element electro-thermal and gain solver for colloidal-quantum-dot emitters.

Pipeline: Stack -> build_mesh -> DeviceMesh -> electrical (drift-diffusion) -> thermal (heat) ->
coupled (self-consistent operating points) -> gain (excitons per dot, gain spectra) -> optics
(slab modes, modal gain). See README.md and DESIGN.md.
"""
from .coupled import Electrothermal, OperatingPoint, PulseResult
from .custom_mesh import strip_mesh, tensor_mesh, with_boundary
from .errors import (ConvergenceError, ElectricalConvergenceError, ElectrothermalConvergenceError, InputError,
                     ThermalConvergenceError, TransientConvergenceError)
from .materials import Material, load_library
from .grading import graded_points
from .mesh import DeviceMesh, MeshOptions, build_mesh, load_mesh, save_mesh
from .probes import history, probe
from .qd_profile import qd_film_profile
from .regions import TaggedMesh
from .stack import Layer, Spacer, Stack, Substrate, ThermalBoundary, lim2018
from .thermal import Adiabatic, Dirichlet, Robin, solve_steady, solve_transient

__version__ = "0.1.0"

__all__ = ["Adiabatic", "ConvergenceError", "DeviceMesh", "Dirichlet", "ElectricalConvergenceError", "Electrothermal",
           "ElectrothermalConvergenceError", "InputError", "Layer", "ThermalConvergenceError", "TransientConvergenceError",
           "Material", "MeshOptions", "OperatingPoint", "PulseResult", "Robin", "Spacer", "Stack", "Substrate",
           "TaggedMesh", "ThermalBoundary", "build_mesh", "graded_points", "history", "lim2018", "load_library",
           "load_mesh", "probe", "qd_film_profile", "save_mesh", "solve_steady", "solve_transient", "strip_mesh",
           "tensor_mesh", "with_boundary"]
