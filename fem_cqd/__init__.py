"""fem_cqd: finite-element electro-thermal and gain solver for colloidal-quantum-dot emitters.

Pipeline: Stack -> build_mesh -> DeviceMesh -> electrical (drift-diffusion) -> thermal (heat) ->
coupled (self-consistent operating points) -> gain (excitons per dot, gain spectra) -> optics
(slab modes, modal gain). See README.md and DESIGN.md.
"""
from .errors import ConvergenceError, InputError
from .materials import Material, load_library
from .mesh import DeviceMesh, MeshOptions, build_mesh, load_mesh, save_mesh
from .regions import TaggedMesh
from .stack import Layer, Spacer, Stack, Substrate, ThermalBoundary, lim2018

__version__ = "0.1.0"

__all__ = ["ConvergenceError", "DeviceMesh", "InputError", "Layer", "Material", "MeshOptions", "Spacer", "Stack",
           "Substrate", "TaggedMesh", "ThermalBoundary", "build_mesh", "lim2018", "load_library", "load_mesh",
           "save_mesh"]
