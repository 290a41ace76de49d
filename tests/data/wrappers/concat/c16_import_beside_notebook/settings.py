"""Settings shared by my notebooks."""
AXIS = -1

print("settings loaded")  # demo output: not needed for grading
