#!/usr/bin/env python3
"""torch.save-style zip checkpoints whose tensors claim impossible sizes, strides or views, for
Tests/CLIPTensorTests (each must be refused with a typed error naming the tensor, not trap):

  hostile_sizes.pt    sizes (2**62, 4): the element count overflows 64 bits
  hostile_strides.pt  sizes (3,) and stride 2**63 - 1: the last element's offset overflows
  hostile_view.pt     sizes (1000, 1000) with strides (0, 0) over a storage of 4 floats

The pickles name the same globals torch.save writes (collections.OrderedDict,
torch._utils._rebuild_tensor_v2, torch.FloatStorage), made here by stand-in modules, so neither
torch nor anything else outside the standard library is needed.

    python Scripts/make_hostile_checkpoints.py
"""
import collections
import io
import os
import pickle
import struct
import sys
import types
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT = os.path.join(HERE, "..", "Tests", "CLIPTensorTests", "Fixtures", "torch")


def stand_in(module_name, name, value):
    module = sys.modules.setdefault(module_name, types.ModuleType(module_name))
    value.__module__ = module_name
    value.__qualname__ = name
    setattr(module, name, value)
    return value


def _rebuild_tensor_v2(*args):
    raise RuntimeError("never called")


class FloatStorage:
    pass


stand_in("torch._utils", "_rebuild_tensor_v2", _rebuild_tensor_v2)
stand_in("torch", "FloatStorage", FloatStorage)


class StorageRef:
    """A storage the pickle refers to by persistent id, as torch.save does."""
    def __init__(self, key, count):
        self.key, self.count = key, count


class TensorRef:
    def __init__(self, storage, sizes, strides):
        self.storage, self.sizes, self.strides = storage, sizes, strides

    def __reduce__(self):
        return (_rebuild_tensor_v2, (self.storage, 0, self.sizes, self.strides, False, collections.OrderedDict()))


class CheckpointPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, StorageRef):
            return ("storage", FloatStorage, obj.key, "cpu", obj.count)
        return None


def write(name, sizes, strides):
    storage = StorageRef("0", 4)
    state = collections.OrderedDict([("weight", TensorRef(storage, sizes, strides))])
    buffer = io.BytesIO()
    CheckpointPickler(buffer, protocol=2).dump(state)
    path = os.path.join(OUTPUT, name)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", buffer.getvalue())
        archive.writestr("archive/byteorder", "little")
        archive.writestr("archive/data/0", struct.pack("<4f", 1, 2, 3, 4))
        archive.writestr("archive/version", "3\n")
    print(path)


def main():
    os.makedirs(OUTPUT, exist_ok=True)
    write("hostile_sizes.pt", (2 ** 62, 4), (4, 1))
    write("hostile_strides.pt", (3,), (2 ** 63 - 1,))
    write("hostile_view.pt", (1000, 1000), (0, 0))


if __name__ == "__main__":
    main()
