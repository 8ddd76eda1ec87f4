"""The types every stage passes to the next: speech and word timings, emotion plans and tracks, audio frames, faces.

Nothing here imports a backend; every stage imports from here, so no stage needs another stage's internals.
"""
