"""Sensor ingest and the official indices (VN_AQI, VN_WQI)."""
