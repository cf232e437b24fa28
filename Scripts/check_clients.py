#!/usr/bin/env python3
"""The clients people already use, unchanged, against a running `clip serve` (Scripts/check_api.sh
starts it on the fixture index): OpenAI's Python SDK (`embeddings.create`, `models.list`, its
error for an unknown model) and clip-retrieval's `ClipClient` (text and image queries). Both are
installed from PyPI here; clip-retrieval without its dependencies (its client needs only requests).

    python3 Scripts/check_clients.py PORT INDEX_NAME MODEL_ID IMAGE_IN_THE_INDEX
"""
import importlib.util
import math
import os
import subprocess
import sys
import tempfile
import zipfile


def pip(command, *arguments):
    options = ["--quiet", "--disable-pip-version-check"] + (["--root-user-action=ignore"] if command == "install" else [])
    subprocess.run([sys.executable, "-m", "pip", command, *options, *arguments], check=True)


def main():
    port, index, model, image = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    base = f"http://127.0.0.1:{port}"
    try:
        import openai
    except ImportError:
        pip("install", "openai", "requests")
        import openai

    client = openai.OpenAI(base_url=base + "/v1", api_key="unused")
    response = client.embeddings.create(model=model, input=["a dog", "a cat"])   # the SDK asks for base64
    assert len(response.data) == 2 and response.data[1].index == 1, response
    for item in response.data:
        assert abs(math.sqrt(sum(x * x for x in item.embedding)) - 1) < 1e-4, "embeddings are unit vectors"
    assert [m.id for m in client.models.list()] == [model]
    try:
        client.embeddings.create(model="no-such-model", input="x")
        raise AssertionError("an unknown model was accepted")
    except openai.NotFoundError as error:
        assert "no-such-model" in str(error), error
    print(f"OpenAI SDK {openai.__version__}: embeddings, models and a 404 as the SDK expects them")

    folder = tempfile.mkdtemp()
    pip("download", "--no-deps", "clip-retrieval", "--dest", folder)
    wheel = next(name for name in os.listdir(folder) if name.endswith(".whl"))
    with zipfile.ZipFile(os.path.join(folder, wheel)) as archive:
        archive.extract("clip_retrieval/clip_client.py", folder)
    spec = importlib.util.spec_from_file_location("clip_client", os.path.join(folder, "clip_retrieval", "clip_client.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    retrieval = module.ClipClient(url=base + "/knn-service", indice_name=index, num_images=3, deduplicate=False)
    by_text = retrieval.query(text="a red square")
    assert len(by_text) == 3 and all({"url", "caption", "id", "similarity"} <= set(r) for r in by_text), by_text
    by_image = retrieval.query(image=image)
    assert by_image[0]["caption"] == os.path.basename(image) and abs(by_image[0]["similarity"] - 1) < 1e-3, by_image[0]
    print(f"clip-retrieval {wheel.split('-')[1]} ClipClient: text and image queries with url, caption, id and similarity")


if __name__ == "__main__":
    main()
