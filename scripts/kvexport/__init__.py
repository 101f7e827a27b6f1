"""The parts of scripts/export_models.py: tokenizer, the two models, ONNX graphs, goldens."""
