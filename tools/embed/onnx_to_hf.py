#!/usr/bin/env python3
"""onnx_to_hf.py: a BERT encoder exported to ONNX -> a sentence-transformers folder.

    python3 tools/embed/onnx_to_hf.py MODEL.onnx TOKENIZER.json OUT_DIR [--pooling cls] [--normalize]

Made for BAAI/bge-small-en-v1.5 as langchain4j ships it on Maven
(bge-small-en-v1.5.onnx + its tokenizer.json): an fp32 ONNX graph whose
initializers are the weights. Embedding tables, biases and LayerNorms keep
their PyTorch names; each linear layer's weight is an anonymous initializer
("onnx::MatMul_1525", stored [in, out]) that the MatMul node named after the
layer ("/encoder/layer.0/attention/self/query/MatMul") consumes, so the node
name gives the PyTorch name and the matrix is transposed to [out, in].

Writes model.safetensors (F32), config.json (BertModel; sizes read from the
weights, heads from --heads), tokenizer.json, tokenizer_config.json,
modules.json, 1_Pooling/config.json and sentence_bert_config.json. The
sentence-transformers settings (pooling, normalize, max_seq_length, heads)
are the published model's and must be given: the ONNX graph does not hold
them. Standard library only (the ONNX protobuf is read by hand), so the setup
step needs nothing installed.
"""
import argparse
import array
import json
import os
import re
import shutil
import struct
import sys

# ---- the protobuf wire format, only what ModelProto -> GraphProto needs ----


def varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def fields(buf):
    """(field number, wire type, value) of one message; value is an int or a memoryview."""
    i, n = 0, len(buf)
    while i < n:
        key, i = varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 2:
            ln, i = varint(buf, i)
            v, i = buf[i:i + ln], i + ln
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"protobuf wire type {wt} not expected in an ONNX model")
        yield num, wt, v


def packed_ints(v, wt):
    if wt == 0:
        return [v]
    out, i = [], 0
    while i < len(v):
        x, i = varint(v, i)
        out.append(x)
    return out


def read_graph(path):
    with open(path, "rb") as f:
        model = memoryview(f.read())
    graph = next(v for num, wt, v in fields(model) if num == 7)  # ModelProto.graph
    nodes, inits = [], {}
    for num, wt, v in fields(graph):
        if num == 1:  # NodeProto: input 1, output 2, name 3, op_type 4
            node = {"input": [], "name": "", "op": ""}
            for n2, _, v2 in fields(v):
                if n2 == 1:
                    node["input"].append(bytes(v2).decode())
                elif n2 == 3:
                    node["name"] = bytes(v2).decode()
                elif n2 == 4:
                    node["op"] = bytes(v2).decode()
            nodes.append(node)
        elif num == 5:  # TensorProto: dims 1, data_type 2, float_data 4, name 8, raw_data 9
            t = {"dims": [], "type": 0, "raw": None, "floats": array.array("f")}
            for n2, w2, v2 in fields(v):
                if n2 == 1:
                    t["dims"] += packed_ints(v2, w2)
                elif n2 == 2:
                    t["type"] = v2
                elif n2 == 4:
                    t["floats"].frombytes(bytes(v2) if w2 == 2 else bytes(v2))
                elif n2 == 8:
                    t["name"] = bytes(v2).decode()
                elif n2 == 9:
                    t["raw"] = bytes(v2)
            inits[t["name"]] = t
    return nodes, inits


def tensor_floats(t):
    if t["type"] != 1:
        raise ValueError(f"initializer {t['name']} has ONNX data type {t['type']}, not FLOAT")
    a = array.array("f")
    if t["raw"] is not None:
        a.frombytes(t["raw"])
    else:
        a = t["floats"]
    if sys.byteorder != "little":
        a.byteswap()
    count = 1
    for d in t["dims"]:
        count *= d
    if len(a) != count:
        raise ValueError(f"initializer {t['name']}: {len(a)} floats for shape {t['dims']}")
    return a


def transpose(a, rows, cols):
    """[rows, cols] row-major -> [cols, rows]."""
    out = array.array("f", bytes(4 * rows * cols))
    for r in range(rows):
        out[r::rows] = a[r * cols:(r + 1) * cols]
    return out


MATMUL = re.compile(r"^/(encoder/layer\.\d+/(?:attention/self/(?:query|key|value)|attention/output/dense|"
                    r"intermediate/dense|output/dense))/MatMul$")


def hf_tensors(nodes, inits):
    out = {}
    for name, t in inits.items():
        if re.match(r"^(embeddings|encoder|pooler)\.", name):
            out[name] = (list(t["dims"]), tensor_floats(t))
    for node in nodes:
        m = MATMUL.match(node["name"]) if node["op"] == "MatMul" else None
        if not m:
            continue
        wname = next((i for i in node["input"] if i in inits), None)
        if wname is None:
            raise ValueError(f"MatMul {node['name']} has no initializer input")
        rows, cols = inits[wname]["dims"]          # [in, out]
        out[m.group(1).replace("/", ".") + ".weight"] = ([cols, rows], transpose(tensor_floats(inits[wname]), rows, cols))
    return out


def write_safetensors(path, tensors):
    header, offset = {}, 0
    for name in sorted(tensors):
        shape, data = tensors[name]
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + 4 * len(data)]}
        offset += 4 * len(data)
    hj = json.dumps(header, separators=(",", ":")).encode()
    hj += b" " * (-len(hj) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for name in sorted(tensors):
            data = tensors[name][1]
            if sys.byteorder != "little":
                data = array.array("f", data)
                data.byteswap()
            f.write(data.tobytes())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("onnx")
    ap.add_argument("tokenizer_json")
    ap.add_argument("out_dir")
    ap.add_argument("--pooling", choices=["cls", "mean", "max"], required=True)
    ap.add_argument("--normalize", action="store_true")
    ap.add_argument("--heads", type=int, required=True)
    ap.add_argument("--max-seq-length", type=int, required=True)
    ap.add_argument("--lowercase", action="store_true")
    a = ap.parse_args()

    nodes, inits = read_graph(a.onnx)
    tensors = hf_tensors(nodes, inits)
    layers = 1 + max(int(m.group(1)) for n in tensors if (m := re.match(r"encoder\.layer\.(\d+)\.", n)))
    vocab, hidden = tensors["embeddings.word_embeddings.weight"][0]
    for i in range(layers):
        for part in ("attention.self.query", "attention.self.key", "attention.self.value",
                     "attention.output.dense", "intermediate.dense", "output.dense"):
            if f"encoder.layer.{i}.{part}.weight" not in tensors:
                sys.exit(f"onnx_to_hf: no MatMul found for encoder.layer.{i}.{part}")
    config = {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": vocab, "hidden_size": hidden,
        "num_hidden_layers": layers, "num_attention_heads": a.heads,
        "intermediate_size": tensors["encoder.layer.0.intermediate.dense.weight"][0][0],
        "max_position_embeddings": tensors["embeddings.position_embeddings.weight"][0][0],
        "type_vocab_size": tensors["embeddings.token_type_embeddings.weight"][0][0],
        "hidden_act": "gelu", "layer_norm_eps": 1e-12, "position_embedding_type": "absolute", "pad_token_id": 0,
    }
    os.makedirs(os.path.join(a.out_dir, "1_Pooling"), exist_ok=True)
    write_safetensors(os.path.join(a.out_dir, "model.safetensors"), tensors)
    shutil.copyfile(a.tokenizer_json, os.path.join(a.out_dir, "tokenizer.json"))

    def dump(name, obj):
        with open(os.path.join(a.out_dir, name), "w") as f:
            json.dump(obj, f, indent=2)

    dump("config.json", config)
    dump("tokenizer_config.json", {"do_lower_case": a.lowercase, "model_max_length": a.max_seq_length,
                                   "tokenizer_class": "BertTokenizer"})
    dump("sentence_bert_config.json", {"max_seq_length": a.max_seq_length, "do_lower_case": False})
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
    if a.normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
    dump("modules.json", modules)
    dump("1_Pooling/config.json", {"word_embedding_dimension": hidden,
                                   "pooling_mode_cls_token": a.pooling == "cls",
                                   "pooling_mode_mean_tokens": a.pooling == "mean",
                                   "pooling_mode_max_tokens": a.pooling == "max",
                                   "pooling_mode_mean_sqrt_len_tokens": False})
    print(f"onnx_to_hf: {len(tensors)} tensors, {layers} layers, hidden {hidden} -> {a.out_dir}", file=sys.stderr)


if __name__ == "__main__":
    main()
