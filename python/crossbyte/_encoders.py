"""CrossEncoder and SentenceEncoder: sentence-transformers' API over crossbyte._core."""
from __future__ import annotations

import operator
import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core, _progress

Text = Union[str, bytes]
Pair = Sequence[Text]
PathLike = Union[str, bytes, "os.PathLike[str]"]

# cb_activation (crossbyte.h)
_ACT_DEFAULT, _ACT_NONE, _ACT_SIGMOID, _ACT_SOFTMAX = 0, 1, 2, 3
_ACT_NAMES = {"identity": _ACT_NONE, "none": _ACT_NONE, "sigmoid": _ACT_SIGMOID, "softmax": _ACT_SOFTMAX}


def _activation(fn: Any) -> Tuple[int, Optional[Callable[..., Any]]]:
    """(cb_activation, callable applied afterwards to raw logits, or None).

    None is the model's default (from its config.json, as sentence-transformers
    resolves it). A name ("sigmoid", "identity", "softmax", or a dotted path
    such as "torch.nn.modules.linear.Identity") or a torch.nn.Sigmoid /
    Identity / Softmax instance runs in C; any other callable gets the raw
    logits as a float32 array of shape (n, num_labels) (a torch tensor if it
    is a torch module)."""
    if fn is None:
        return _ACT_DEFAULT, None
    if isinstance(fn, str):
        code = _ACT_NAMES.get(fn.rsplit(".", 1)[-1].lower())
        if code is None:
            raise _core.InvalidArgumentError(
                f"activation_fn {fn!r} is not one of 'sigmoid', 'identity', 'softmax' (or a callable)")
        return code, None
    cls = type(fn)
    if cls.__module__.startswith("torch.nn") and cls.__name__.lower() in _ACT_NAMES:
        return _ACT_NAMES[cls.__name__.lower()], None
    if callable(fn):
        return _ACT_NONE, fn
    raise TypeError(f"activation_fn must be None, a name or a callable, not {cls.__name__}")


def _apply(fn: Callable[..., Any], logits: np.ndarray) -> np.ndarray:
    if type(fn).__module__.startswith("torch"):
        import torch

        with torch.inference_mode():
            return np.asarray(fn(torch.from_numpy(logits)).float().numpy(), dtype=np.float32)
    return np.asarray(fn(logits), dtype=np.float32)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


_LONG_MODES = {"truncate": 0, "chunk": 1}
_AGGREGATES = {"max": 0, "first": 1, "mean": 2}


def _long_document(mode: str, stride: Optional[int], aggregate: str) -> Tuple[int, int, int]:
    """(long_document, stride, aggregate) as cb_predict_options has them."""
    if mode not in _LONG_MODES:
        raise _core.InvalidArgumentError(f"long_document is 'truncate' or 'chunk', got {mode!r}")
    if aggregate not in _AGGREGATES:
        raise _core.InvalidArgumentError(f"aggregate is 'max', 'first' or 'mean', got {aggregate!r}")
    if stride is None:
        s = 0  # the library's default: a quarter of the window
    else:
        s = operator.index(stride)
        if s < 0:
            raise _core.InvalidArgumentError(f"stride must be 0 or more word pieces, got {s}")
        s = s if s > 0 else -1  # CB_STRIDE_NONE
    return _LONG_MODES[mode], s, _AGGREGATES[aggregate]


def _positive(name: str, value: Any) -> int:
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, not {type(value).__name__}") from None
    if v <= 0:
        raise _core.InvalidArgumentError(f"{name} must be a positive integer, got {v}.")
    return v


def _threads(num_threads: Optional[int]) -> int:
    return 0 if num_threads is None else _positive("num_threads", num_threads)


def _is_singular(inputs: Any, item_types: Tuple[type, ...]) -> bool:
    """sentence-transformers' is_singular_input: a list or tuple is one input
    when its first element is not itself a list or tuple (one pair); a 1-D
    numpy string array likewise."""
    if isinstance(inputs, (list, tuple)):
        return len(inputs) > 0 and not isinstance(inputs[0], item_types)
    if isinstance(inputs, np.ndarray):
        return inputs.size > 0 and inputs.ndim < 2
    return isinstance(inputs, (str, bytes))


def _as_list(inputs: Any) -> List[Any]:
    if isinstance(inputs, list):
        return inputs
    if isinstance(inputs, np.ndarray):
        return inputs.tolist()
    if isinstance(inputs, (str, bytes)):
        raise TypeError("expected a list of inputs, got a single text")
    return list(inputs)


def _finish(rows: np.ndarray, singular: bool, convert_to_numpy: bool, convert_to_tensor: bool) -> Any:
    """sentence-transformers' return conventions for predict and encode."""
    if convert_to_tensor:
        try:
            import torch
        except ImportError:
            raise ImportError("convert_to_tensor=True needs PyTorch; crossbyte itself does not") from None
        out: Any = torch.from_numpy(rows) if len(rows) else torch.tensor([])
    elif convert_to_numpy:
        # as sentence-transformers: an empty input gives np.array([]) (float64)
        out = rows if len(rows) else np.array([])
    else:
        out = list(rows)
    return out[0] if singular else out


class _Model:
    """What CrossEncoder and SentenceEncoder share: the loaded model, max_length,
    threads, tokenize, config."""

    _kind = ""

    def __init__(self, model: PathLike, max_length: Optional[int], num_threads: Optional[int]) -> None:
        self.model_path = os.fsdecode(os.fspath(model))
        self.num_threads = _threads(num_threads) or 1
        self._model = _core.Model(model, self.num_threads)
        is_bi = self._model.embedding_size > 0
        if is_bi != (self._kind == "bi"):
            what = "a bi-encoder" if is_bi else "a cross-encoder"
            other = "SentenceEncoder" if is_bi else "CrossEncoder"
            raise _core.WrongModelKindError(
                f"{self.model_path} is {what} ({self._model.architecture}): load it with crossbyte.{other}")
        self._max_length = 0
        self.max_length = max_length  # type: ignore[assignment]

    @property
    def max_length(self) -> int:
        """Tokens per input, special tokens included (longer inputs are truncated
        longest-first, as Hugging Face does). Setting None restores the model's
        default; values the model cannot take raise MaxLengthError and leave it
        unchanged."""
        return self._max_length or self._model.max_length

    @max_length.setter
    def max_length(self, value: Optional[int]) -> None:
        if value is None:
            self._max_length = 0
            return
        try:
            v = operator.index(value)
        except TypeError:
            raise TypeError(f"max_length must be an int or None, not {type(value).__name__}") from None
        self._model.check_max_length(v)
        self._max_length = v

    @property
    def max_seq_length(self) -> int:
        """sentence-transformers' newer name of max_length."""
        return self.max_length

    @max_seq_length.setter
    def max_seq_length(self, value: Optional[int]) -> None:
        self.max_length = value  # type: ignore[assignment]

    @property
    def dtype(self) -> str:
        """'f32' or 'int8'."""
        return self._model.dtype

    @property
    def config(self) -> Dict[str, Any]:
        """The model's configuration as a dict (Hugging Face's field names where
        they exist)."""
        labels = list(self._model.labels)
        cfg: Dict[str, Any] = {
            "architectures": [self._model.architecture],
            "dtype": self._model.dtype,
            "num_labels": len(labels),
            "id2label": dict(enumerate(labels)),
            "label2id": {name: i for i, name in enumerate(labels)},
            "max_length": self.max_length,
            "max_position_embeddings": self._model.max_positions,
        }
        if self._model.embedding_size:
            cfg.update(embedding_size=self._model.embedding_size, pooling=self._model.pooling)
        return cfg

    def _run(self, call: Callable[[List[Any]], bytearray], items: List[Any], width: int, batch_size: int,
             show_progress_bar: Optional[bool]) -> np.ndarray:
        """One C call over all items, or one per batch with a progress bar."""
        if not _progress.wanted(show_progress_bar) or not items:
            buf = call(items)
        else:
            bar = _progress.bar((len(items) + batch_size - 1) // batch_size)
            buf = bytearray()
            try:
                for start in range(0, len(items), batch_size):
                    buf += call(items[start:start + batch_size])
                    bar.update(1)
            finally:
                bar.close()
        flat = np.frombuffer(buf, dtype=np.float32)
        # one label: (n,) already; numpy's calls are the binding's main cost
        # right after a call into the library, whose weights evict Python's
        # working set from the caches, so skip the ones not needed
        return flat if width == 1 else flat.reshape(len(items), width)

    def _tokenize_pairs(self, pairs: List[Any], max_length: Optional[int]) -> Dict[str, List[List[int]]]:
        n = 0 if max_length is None else operator.index(max_length)
        toks = self._model.tokenize(pairs, n or self._max_length)
        return {"input_ids": [t[0] for t in toks], "token_type_ids": [t[1] for t in toks]}


class CrossEncoder(_Model):
    """sentence-transformers' ``CrossEncoder`` on crossbyte's C runtime.

    ``model`` is a ``.cbm`` file (memory-mapped) or a Hugging Face model folder
    (config.json, model.safetensors, tokenizer files), converted in memory as the
    C library does. ``max_length`` caps the tokens per pair (default: the
    tokenizer's model_max_length capped by the model's positions);
    ``activation_fn`` overrides the model's activation (see ``predict``);
    ``num_threads`` is the threads each call uses (default: the calling thread
    only). One object may be shared by any number of threads: scoring releases
    the GIL and each call gets its own workspace.

    Example::

        from crossbyte import CrossEncoder
        model = CrossEncoder("minilm-l6-int8.cbm")
        scores = model.predict([("How many people live in Berlin?", "Berlin has 3.5 million inhabitants.")])
    """

    _kind = "cross"

    def __init__(self, model: PathLike, max_length: Optional[int] = None, activation_fn: Any = None,
                 num_threads: Optional[int] = None, device: Optional[str] = None) -> None:
        if device not in (None, "cpu"):
            raise _core.InvalidArgumentError(f"crossbyte runs on the CPU only, not on device {device!r}")
        _activation(activation_fn)  # refuse a bad one now
        super().__init__(model, max_length, num_threads)
        #: The activation predict and rank apply: None means the model's own
        #: (config.json's, as sentence-transformers: Sigmoid for one label when
        #: it says nothing, Identity for several).
        self.activation_fn = activation_fn

    @staticmethod
    def convert(hf_dir: PathLike, out: PathLike, dtype: str = "int8") -> Tuple[int, int]:
        """Writes a ``.cbm`` file from a Hugging Face folder; ``dtype`` is "int8" or
        "f32". Returns (bytes of the input weights, bytes of the file)."""
        if dtype not in ("int8", "f32", "float32"):
            raise _core.InvalidArgumentError(f"dtype is 'int8' or 'f32', got {dtype!r}")
        return _core.convert(hf_dir, out, dtype == "int8")

    @property
    def num_labels(self) -> int:
        """Scores per pair."""
        return self._model.num_labels

    @property
    def labels(self) -> List[str]:
        """The label names (id2label), in label order."""
        return list(self._model.labels)

    @property
    def id2label(self) -> Dict[int, str]:
        return dict(enumerate(self._model.labels))

    def __repr__(self) -> str:
        return (f"CrossEncoder(model={self.model_path!r}, architecture={self._model.architecture!r}, "
                f"dtype={self.dtype!r}, num_labels={self.num_labels}, max_length={self.max_length}, "
                f"num_threads={self.num_threads})")

    def predict(self, sentences: Any = None, batch_size: int = 32, show_progress_bar: Optional[bool] = None,
                activation_fn: Any = None, apply_softmax: Optional[bool] = False, convert_to_numpy: bool = True,
                convert_to_tensor: bool = False, long_document: str = "truncate", stride: Optional[int] = None,
                aggregate: str = "max", **kwargs: Any) -> Any:
        """Scores pairs, as ``sentence_transformers.CrossEncoder.predict``.

        ``sentences`` is one pair ``(text_a, text_b)`` or a list of pairs (``inputs=``
        is accepted too, sentence-transformers' newer name). Texts are str (or UTF-8
        bytes). Returns, for a list: a float32 array of shape (n,) for a one-label
        model, (n, num_labels) otherwise; for one pair: a numpy float32 scalar (one
        label) or a (num_labels,) array. An empty list gives ``np.array([])``.
        ``convert_to_numpy=False`` gives a list of rows, ``convert_to_tensor=True``
        a torch tensor (needs PyTorch).

        ``activation_fn``: None is the model's default; else see ``CrossEncoder``.
        ``apply_softmax`` with several labels: softmax over each pair's labels
        after the activation. ``batch_size``: pairs per forward pass (batches are
        packed without padding, so the order of pairs does not matter).
        ``show_progress_bar``: tqdm if installed, else a plain bar; None shows one
        when the "crossbyte" logger is at INFO or DEBUG.

        Long documents (crossbyte's own; sentence-transformers always truncates):
        ``long_document="chunk"`` cuts a passage that does not fit beside the query
        into overlapping windows of whole words, scores each as a pair of its own
        (in the same packed batches) and aggregates with ``aggregate`` ("max",
        "first" or "mean"); ``stride`` is the word pieces consecutive windows share
        (None: a quarter of the window; 0: none). A pair that fits scores exactly as
        with "truncate". Needs a model with one label.

        Errors: ``TypeError`` for a text that is not str/bytes or a pair that is not
        two texts; ``crossbyte.InvalidUTF8Error`` (a ValueError) for invalid UTF-8
        bytes or a lone surrogate; ``crossbyte.TextTooLongError`` beyond 16 MiB.
        The model stays usable after any error."""
        if "inputs" in kwargs:
            if sentences is not None:
                raise TypeError("predict() got both sentences and inputs")
            sentences = kwargs.pop("inputs")
        if "activation_fct" in kwargs:
            activation_fn = kwargs.pop("activation_fct")
        if kwargs:
            raise TypeError(f"predict() got unexpected keyword arguments {sorted(kwargs)}")
        if sentences is None:
            raise TypeError("predict() needs the pairs to score")
        batch_size = _positive("batch_size", batch_size)
        singular = _is_singular(sentences, (list, tuple))
        pairs = [_as_list(sentences)] if singular else _as_list(sentences)
        rows = self._scores(pairs, batch_size, show_progress_bar, activation_fn, bool(apply_softmax),
                            _long_document(long_document, stride, aggregate))
        return _finish(rows, singular, convert_to_numpy, convert_to_tensor)

    def _scores(self, pairs: List[Any], batch_size: int, show_progress_bar: Optional[bool], activation_fn: Any,
                apply_softmax: bool, long: Tuple[int, int, int] = (0, 0, 0),
                windows: Optional[List[Any]] = None) -> np.ndarray:
        """(n,) or (n, labels) float32 scores. ``long``: the C long-document
        options (_long_document); ``windows``, when a list: gets each pair's
        (begin, end, index, count)."""
        labels = self._model.num_labels
        code, fn = _activation(activation_fn if activation_fn is not None else self.activation_fn)
        # softmax over raw logits is the C library's own (CB_ACTIVATION_SOFTMAX)
        c_softmax = apply_softmax and labels > 1 and code == _ACT_NONE and fn is None
        if c_softmax:
            code = _ACT_SOFTMAX
        max_length = self._max_length
        mode, stride, agg = long

        def call(chunk: List[Any]) -> bytearray:
            if windows is None:
                return self._model.predict(chunk, max_length, batch_size, code, mode, stride, agg)
            buf, w = self._model.predict(chunk, max_length, batch_size, code, mode, stride, agg, windows=True)
            windows.extend(w)
            return buf

        rows = self._run(call, pairs, labels, batch_size, show_progress_bar)
        if fn is not None:
            rows = _apply(fn, rows.reshape(len(pairs), labels).copy())
        if labels == 1:
            if rows.ndim != 1:
                rows = rows.reshape(-1)
        elif apply_softmax and not c_softmax:
            rows = _softmax(rows)
        return rows

    def rank(self, query: Text, documents: Sequence[Text], top_k: Optional[int] = None,
             return_documents: bool = False, batch_size: int = 32, show_progress_bar: Optional[bool] = None,
             activation_fn: Any = None, long_document: str = "truncate", stride: Optional[int] = None,
             aggregate: str = "max") -> List[Dict[str, Any]]:
        """Scores (query, document) for every document and returns
        ``[{"corpus_id": i, "score": s[, "text": document]}]`` best first, as
        ``sentence_transformers.CrossEncoder.rank``: scores are Python floats, ties
        keep document order, ``top_k`` slices the sorted list. Needs a model with
        one label (else ``crossbyte.NotSingleLabelError``, a ValueError).

        ``long_document``, ``stride``, ``aggregate``: as ``predict``. With "chunk"
        each result also has ``"window": {"begin", "end", "index", "count",
        "text"}``: the part of the document its score comes from (bytes
        [begin, end) of its UTF-8, and that text), window ``index`` of ``count``."""
        if self._model.num_labels != 1:
            raise _core.NotSingleLabelError(
                f"rank() only works for models with one label; this one has {self._model.num_labels} "
                f"({', '.join(self._model.labels)}): use predict() with pairs instead")
        docs = _as_list(documents)
        pairs = [[query, d] for d in docs]
        long = _long_document(long_document, stride, aggregate)
        windows: Optional[List[Any]] = [] if long[0] else None
        scores = self._scores(pairs, _positive("batch_size", batch_size), show_progress_bar, activation_fn,
                              False, long, windows).tolist()
        results: List[Dict[str, Any]] = []
        for i, score in enumerate(scores):
            results.append({"corpus_id": i, "score": score})
            if return_documents:
                results[-1]["text"] = docs[i]
            if windows is not None:
                b, e, w, c = windows[i]
                raw = docs[i] if isinstance(docs[i], bytes) else docs[i].encode("utf-8")
                results[-1]["window"] = {"begin": b, "end": e, "index": w, "count": c,
                                         "text": raw[b:e].decode("utf-8")}
        results = sorted(results, key=lambda x: x["score"], reverse=True)
        return results[:top_k]

    def tokenize(self, sentences: Any, max_length: Optional[int] = None) -> Dict[str, List[List[int]]]:
        """Token ids of one pair or a list of pairs, as the model sees them
        (unpadded): ``{"input_ids": [[...], ...], "token_type_ids": [[...], ...]}``."""
        pairs = [_as_list(sentences)] if _is_singular(sentences, (list, tuple)) else _as_list(sentences)
        return self._tokenize_pairs(pairs, max_length)


class SentenceEncoder(_Model):
    """sentence-transformers' ``SentenceTransformer`` (``encode``, ``similarity``) for
    bi-encoders on crossbyte's C runtime: a ``.cbm`` file or a sentence-transformers
    folder (modules.json, 1_Pooling, optionally Normalize). Thread-safe like
    ``CrossEncoder``."""

    _kind = "bi"
    #: the similarity ``similarity`` computes ("cosine" or "dot")
    similarity_fn_name = "cosine"

    def __init__(self, model: PathLike, max_length: Optional[int] = None, num_threads: Optional[int] = None,
                 device: Optional[str] = None, similarity_fn_name: Optional[str] = None) -> None:
        if device not in (None, "cpu"):
            raise _core.InvalidArgumentError(f"crossbyte runs on the CPU only, not on device {device!r}")
        if similarity_fn_name not in (None, "cosine", "dot"):
            raise _core.InvalidArgumentError(f"similarity_fn_name is 'cosine' or 'dot', got {similarity_fn_name!r}")
        super().__init__(model, max_length, num_threads)
        if similarity_fn_name:
            self.similarity_fn_name = similarity_fn_name

    def __repr__(self) -> str:
        return (f"SentenceEncoder(model={self.model_path!r}, architecture={self._model.architecture!r}, "
                f"dtype={self.dtype!r}, embedding_size={self.get_sentence_embedding_dimension()}, "
                f"pooling={self._model.pooling!r}, max_length={self.max_length}, num_threads={self.num_threads})")

    def get_sentence_embedding_dimension(self) -> int:
        """Width of the vectors."""
        return self._model.embedding_size

    def encode(self, sentences: Any, batch_size: int = 32, show_progress_bar: Optional[bool] = None,
               convert_to_numpy: bool = True, convert_to_tensor: bool = False,
               normalize_embeddings: bool = False) -> Any:
        """``SentenceTransformer.encode``: one text gives a float32 vector, a list an
        (n, dim) float32 array (empty: ``np.array([])``). The model's Normalize
        module applies as it says; ``normalize_embeddings=True`` L2-normalises
        always. Same errors as ``CrossEncoder.predict``."""
        batch_size = _positive("batch_size", batch_size)
        # sentence-transformers: one str is one input, a list of them a batch
        singular = isinstance(sentences, (str, bytes))
        texts = [sentences] if singular else _as_list(sentences)
        max_length, normalize = self._max_length, 1 if normalize_embeddings else 0
        rows = self._run(lambda chunk: self._model.embed(chunk, max_length, batch_size, normalize), texts,
                         self._model.embedding_size, batch_size, show_progress_bar)
        return _finish(rows, singular, convert_to_numpy, convert_to_tensor)

    def similarity(self, embeddings1: Any, embeddings2: Any) -> np.ndarray:
        """The (n, m) float32 matrix of ``similarity_fn_name`` between two sets of
        vectors (one vector counts as a set of one). sentence-transformers returns
        a torch tensor; this returns a numpy array."""
        a = np.atleast_2d(np.asarray(embeddings1, dtype=np.float32))
        b = np.atleast_2d(np.asarray(embeddings2, dtype=np.float32))
        if self.similarity_fn_name == "cosine":
            a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), np.float32(1e-12))
            b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), np.float32(1e-12))
        return (a @ b.T).astype(np.float32)

    def tokenize(self, sentences: Any, max_length: Optional[int] = None) -> Dict[str, List[List[int]]]:
        """Token ids of one text or a list of texts, as the model sees them."""
        texts = [sentences] if isinstance(sentences, (str, bytes)) else _as_list(sentences)
        return self._tokenize_pairs([(t, "") for t in texts], max_length)
