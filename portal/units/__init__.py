"""Administrative units: the province / district / commune / hamlet tree."""
