//! Simulation of municipality panels (in progress).
