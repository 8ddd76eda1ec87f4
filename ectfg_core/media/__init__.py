"""Reading portraits and writing audio, video and sidecar files."""
