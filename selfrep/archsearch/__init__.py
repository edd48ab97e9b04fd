"""Architecture search, prediction and self-modification on DigitsMLP-Bench (chapter 6)."""
