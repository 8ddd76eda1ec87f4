"""The embedded CPU renderer: animates a portrait from landmarks, phonemes and an emotion track."""
