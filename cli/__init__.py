"""The `iocgis` command line: a thin layer of commands over each area's functions."""
