"""Test-wide settings: one BLAS thread (the many small dense solves slow down when threads compete)."""
import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

# Small versions of the benchmarks run as tests: their modules (benchmarks/*.py, scripts with a
# main()) are imported by name, from here, the one place that puts the folder on the path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
