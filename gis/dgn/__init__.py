"""MicroStation DGN V7 cadastral sheets: import (boundaries + labels → parcels) and export."""
