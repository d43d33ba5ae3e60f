"""Facilities (factories), their monitoring points, and how their discharges are judged."""
