"""Face landmarks, region masks and portrait framing."""
