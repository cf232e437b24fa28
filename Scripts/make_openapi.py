#!/usr/bin/env python3
"""Writes Sources/CLIPServer/Resources/openapi.json, the OpenAPI 3.0 document of `clip serve`.

The document is written here as Python data (shorter to read and review than the JSON) and committed
as JSON; the route tests hold every route and every response they see against it, and CI runs
schemathesis against the served copy. Run it after changing a route:

    python3 Scripts/make_openapi.py
"""
import json
import os

ERROR = {"$ref": "#/components/responses/Error"}


def errors(*codes):
    return {str(code): ERROR for code in codes}


def json_body(schema, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def post(summary, request, response, *codes):
    return {"post": {"summary": summary,
                     "requestBody": {"required": True, "content": {"application/json": {"schema": request}}},
                     "responses": {"200": json_body(response), **errors(400, 401, 404, 413, 422, 500, 503, 504, *codes)}}}


def get(summary, responses, parameters=None):
    operation = {"summary": summary, "responses": responses}
    if parameters:
        operation["parameters"] = parameters
    return {"get": operation}


STRING = {"type": "string"}
NUMBER = {"type": "number"}
INTEGER = {"type": "integer"}
FILE_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
INDEX_QUERY = {"name": "index", "in": "query", "required": False, "schema": STRING}
IMAGE = {"type": "string", "description": "An image: base64 of its bytes, or a data: URL with base64 content"}

schemas = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["message", "type"],
        "properties": {"message": STRING, "type": STRING, "param": {"type": "string", "nullable": True},
                       "code": {"type": "string", "nullable": True}}}}},
    "EmbeddingInput": {"oneOf": [
        {"type": "string", "description": "A text"},
        {"type": "object", "required": ["text"], "properties": {"text": STRING}, "additionalProperties": False},
        {"type": "object", "required": ["image"], "properties": {"image": IMAGE}, "additionalProperties": False}]},
    "EmbeddingsRequest": {"type": "object", "required": ["input"], "properties": {
        "input": {"oneOf": [STRING, {"type": "array", "minItems": 1, "maxItems": 2048, "items": ref("EmbeddingInput")}]},
        "model": STRING, "encoding_format": {"type": "string", "enum": ["float", "base64"]},
        "dimensions": INTEGER, "user": STRING}},
    "EmbeddingsResponse": {"type": "object", "required": ["object", "data", "model", "usage"], "properties": {
        "object": {"type": "string", "enum": ["list"]},
        "data": {"type": "array", "items": {"type": "object", "required": ["object", "index", "embedding"], "properties": {
            "object": {"type": "string", "enum": ["embedding"]}, "index": INTEGER,
            "embedding": {"oneOf": [{"type": "array", "items": NUMBER}, {"type": "string", "description": "base64 of little-endian float32"}]}}}},
        "model": STRING,
        "usage": {"type": "object", "required": ["prompt_tokens", "total_tokens"],
                  "properties": {"prompt_tokens": INTEGER, "total_tokens": INTEGER}}}},
    "Model": {"type": "object", "required": ["id", "object", "created", "owned_by"], "properties": {
        "id": STRING, "object": {"type": "string", "enum": ["model"]}, "created": INTEGER, "owned_by": STRING}},
    "ModelList": {"type": "object", "required": ["object", "data"], "properties": {
        "object": {"type": "string", "enum": ["list"]}, "data": {"type": "array", "items": ref("Model")}}},
    "ClassifyRequest": {"type": "object", "required": ["labels"], "properties": {
        "images": {"type": "array", "minItems": 1, "items": IMAGE}, "image": IMAGE,
        "labels": {"oneOf": [{"type": "array", "minItems": 1, "items": STRING}, {"type": "string", "description": "comma-separated"}]},
        "templates": {"oneOf": [{"type": "array", "items": STRING}, {"type": "string", "enum": ["default", "simple", "chinese"]}]},
        "top_k": {"type": "integer", "minimum": 1}, "model": STRING}},
    "ClassifyResponse": {"type": "object", "required": ["object", "data", "model", "scoring"], "properties": {
        "object": {"type": "string", "enum": ["list"]}, "model": STRING,
        "scoring": {"type": "string", "enum": ["softmax", "sigmoid"],
                    "description": "softmax: scores over the labels sum to 1 (CLIP); sigmoid: each label's own probability (SigLIP)."},
        "data": {"type": "array", "items": {"type": "object", "required": ["index", "predictions"], "properties": {
            "index": INTEGER, "predictions": {"type": "array", "items": {
                "type": "object", "required": ["label", "score"], "properties": {"label": STRING, "score": NUMBER}}}}}}}},
    "SearchTerm": {"oneOf": [
        {"type": "string", "description": "A text"},
        {"type": "object", "required": ["text"], "properties": {"text": STRING, "weight": NUMBER}, "additionalProperties": False},
        {"type": "object", "required": ["image"], "properties": {"image": IMAGE, "weight": NUMBER}, "additionalProperties": False},
        {"type": "object", "required": ["embedding"], "properties": {"embedding": {"type": "array", "items": NUMBER}, "weight": NUMBER},
         "additionalProperties": False},
        {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer", "minimum": 1}, "weight": NUMBER},
         "additionalProperties": False, "description": "The stored vector of an indexed file (more like this)"}]},
    "SearchRequest": {"type": "object", "required": ["query"], "properties": {
        "query": {"oneOf": [ref("SearchTerm"), {"type": "array", "minItems": 1, "items": ref("SearchTerm")}]},
        "index": STRING, "top_k": {"type": "integer", "minimum": 1}, "threshold": {"type": "number", "minimum": -1, "maximum": 1},
        "under": STRING, "template": STRING}},
    "SearchResponse": {"type": "object", "required": ["object", "index", "model", "data"], "properties": {
        "object": {"type": "string", "enum": ["list"]}, "index": STRING, "model": STRING,
        "data": {"type": "array", "items": {"type": "object", "required": ["rank", "id", "path", "score"], "properties": {
            "rank": INTEGER, "id": INTEGER, "path": STRING, "score": NUMBER}}}}},
    "DuplicatesRequest": {"type": "object", "properties": {
        "index": STRING, "threshold": {"type": "number", "minimum": 0, "maximum": 1}}},
    "DuplicatesResponse": {"type": "object", "required": ["object", "index", "data"], "properties": {
        "object": {"type": "string", "enum": ["list"]}, "index": STRING,
        "data": {"type": "array", "items": {"type": "object", "required": ["kind", "files"], "properties": {
            "kind": {"type": "string", "enum": ["exact", "near"]},
            "files": {"type": "array", "items": {"type": "object", "required": ["id", "path", "size", "similarity"], "properties": {
                "id": INTEGER, "path": STRING, "size": INTEGER, "width": INTEGER, "height": INTEGER, "similarity": NUMBER}}}}}}}},
    "KnnRequest": {"type": "object", "required": ["num_images"], "properties": {
        "text": STRING, "image": IMAGE, "image_url": STRING, "embedding_input": {"type": "array", "items": NUMBER},
        "modality": {"type": "string", "enum": ["image", "text"]}, "num_images": {"type": "integer", "minimum": 1},
        "num_result_ids": {"type": "integer", "minimum": 1}, "indice_name": STRING, "deduplicate": {"type": "boolean"},
        "use_mclip": {"type": "boolean"}, "use_safety_model": {"type": "boolean"}, "use_violence_detector": {"type": "boolean"},
        "aesthetic_score": STRING, "aesthetic_weight": STRING}},
    "RetrievalMetadata": {"type": "object", "required": ["url", "caption", "path", "id"], "properties": {
        "url": STRING, "caption": STRING, "path": STRING, "id": INTEGER}},
    "KnnResponse": {"type": "array", "items": {"type": "object", "required": ["id", "similarity", "url", "caption", "path"], "properties": {
        "id": INTEGER, "similarity": NUMBER, "url": STRING, "caption": STRING, "path": STRING}}},
    "MetadataRequest": {"type": "object", "required": ["ids"], "properties": {
        "ids": {"type": "array", "items": INTEGER}, "indice_name": STRING}},
    "MetadataResponse": {"type": "array", "items": {"type": "object", "required": ["id", "metadata"], "properties": {
        "id": INTEGER, "metadata": {"allOf": [ref("RetrievalMetadata")], "nullable": True}}}},
    "Info": {"type": "object", "required": ["version", "models", "indexes", "auth"], "properties": {
        "version": STRING, "auth": {"type": "boolean"},
        "models": {"type": "array", "items": {"type": "object", "required": ["id", "reference", "width", "precision"], "properties": {
            "id": STRING, "reference": STRING, "width": INTEGER, "image_size": INTEGER, "context_length": INTEGER,
            "precision": {"type": "string", "enum": ["f32", "bf16", "int8"],
                          "description": "What the model's linear layers compute in: f32, bf16 or int8 (clip serve --precision)."},
            "family": {"type": "string", "enum": ["clip", "siglip", "chinese-clip", "hf-text"], "description": "The model family (clip info's family)."},
            "scoring": {"type": "string", "enum": ["softmax", "sigmoid"],
                        "description": "How classification scores read: softmax over the labels (CLIP) or each label's sigmoid (SigLIP)."},
            "max_batch": INTEGER, "queue_depth": INTEGER}}},
        "indexes": {"type": "array", "items": {"type": "object", "required": ["name", "model", "files"], "properties": {
            "name": STRING, "model": STRING, "files": INTEGER, "failed": INTEGER, "vector_element": STRING, "graph": {"type": "boolean"}}}}}},
}

document = {
    "openapi": "3.0.3",
    "info": {"title": "swift-clip", "version": "1",
             "description": "CLIP embeddings, zero-shot classification and image search (`clip serve`)."},
    "components": {
        "schemas": schemas,
        "responses": {"Error": json_body(ref("Error"), "An error in OpenAI's shape")},
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                       "description": "Required on every route but /health and the page when the server has an API key"}},
    },
    "security": [{}, {"bearer": []}],
    "paths": {
        "/v1/embeddings": post("Embeddings of texts and images (OpenAI's shape)", ref("EmbeddingsRequest"), ref("EmbeddingsResponse")),
        "/v1/models": get("The models served", {"200": json_body(ref("ModelList")), **errors(401)}),
        "/v1/models/{id}": get("One model", {"200": json_body(ref("Model")), **errors(401, 404)},
                               [{"name": "id", "in": "path", "required": True, "schema": STRING}]),
        "/v1/classify": post("Zero-shot classification of images", ref("ClassifyRequest"), ref("ClassifyResponse")),
        "/v1/search": post("Search an index by text, image, embedding or a weighted sum", ref("SearchRequest"), ref("SearchResponse")),
        "/v1/duplicates": post("Groups of identical and near-identical images in an index", ref("DuplicatesRequest"), ref("DuplicatesResponse")),
        "/indices-list": get("clip-retrieval: the index names", {"200": json_body({"type": "array", "items": STRING}), **errors(401)}),
        "/knn-service": post("clip-retrieval: nearest images", ref("KnnRequest"), ref("KnnResponse")),
        "/metadata": post("clip-retrieval: metadata of result ids", ref("MetadataRequest"), ref("MetadataResponse")),
        "/images/{id}": get("An indexed image's file, by id", {
            "200": {"description": "The file", "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}}},
            **errors(401, 404, 422)}, [FILE_ID, INDEX_QUERY]),
        "/thumbnails/{id}": get("A JPEG thumbnail (longest side 256) of an indexed image", {
            "200": {"description": "The thumbnail", "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}},
            **errors(401, 404, 422)}, [FILE_ID, INDEX_QUERY]),
        "/health": get("Liveness", {"200": json_body({"type": "object", "required": ["status"], "properties": {"status": STRING}})}),
        "/info": get("Models, indexes, precision, version", {"200": json_body(ref("Info")), **errors(401)}),
        "/metrics": get("Prometheus metrics", {"200": {"description": "Prometheus text format",
                                                       "content": {"text/plain": {"schema": STRING}}}, **errors(401)}),
        "/openapi.json": get("This document", {"200": json_body({"type": "object"}), **errors(401)}),
        "/": get("The web page", {"200": {"description": "HTML", "content": {"text/html": {"schema": STRING}}}}),
        "/page/{file}": get("The web page's scripts and styles", {
            "200": {"description": "The file", "content": {"text/javascript": {"schema": STRING}, "text/css": {"schema": STRING}}},
            **errors(404)}, [{"name": "file", "in": "path", "required": True, "schema": STRING}]),
    },
}

if __name__ == "__main__":
    target = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources", "CLIPServer", "Resources", "openapi.json")
    with open(target, "w") as f:
        json.dump(document, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {os.path.normpath(target)}")
