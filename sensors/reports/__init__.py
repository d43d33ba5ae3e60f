"""Periodic air and water reports (PDF, XLSX) for environmental staff: figures, files, schedule."""
