"""Layer 3, present: Folium maps and matplotlib figures."""
