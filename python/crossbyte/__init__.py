"""crossbyte: sentence-transformers' CrossEncoder (and SentenceTransformer.encode)
over crossbyte's C runtime: float32 or int8 models on XNNPACK, no PyTorch.

    from crossbyte import CrossEncoder
    model = CrossEncoder("minilm-l6-int8.cbm")      # or a Hugging Face folder
    scores = model.predict([("query", "passage"), ("query", "other passage")])
"""
from ._core import (VERSION as __version__, BackendError, Error, FileError, HFFormatError,
                    InvalidArgumentError, InvalidUTF8Error, MaxLengthError, MissingFileError,
                    ModelFormatError, ModelVersionError, NotSingleLabelError, OutOfMemoryError,
                    TextTooLongError, UnsupportedModelError, WrongModelKindError, int8_gemm_kernels)
from ._encoders import CrossEncoder, SentenceEncoder

#: sentence-transformers' name of the bi-encoder class
SentenceTransformer = SentenceEncoder

__all__ = ["CrossEncoder", "SentenceEncoder", "SentenceTransformer", "Error", "BackendError", "FileError",
           "HFFormatError", "InvalidArgumentError", "InvalidUTF8Error", "MaxLengthError", "MissingFileError",
           "ModelFormatError", "ModelVersionError", "NotSingleLabelError", "OutOfMemoryError",
           "TextTooLongError", "UnsupportedModelError", "WrongModelKindError", "int8_gemm_kernels"]
