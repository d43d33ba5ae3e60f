"""Synthetic cadastral parcels inside real commune boundaries (demo data and benchmarks)."""

from gis.synth.generate import SynthLayer, SynthSummary, allocate, synth_parcels

__all__ = ["SynthLayer", "SynthSummary", "allocate", "synth_parcels"]
