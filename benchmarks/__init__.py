"""Benchmarks of the native simulator against PennyLane and Qiskit Aer (see benchmarks/README.md)."""
