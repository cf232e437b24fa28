"""A timm SigLIP image tower small enough for fixtures, shared by the fixture scripts.

timm has no SigLIP tower this small, so `register()` adds `vit_pico_patch8_siglip_32` to timm's
registry (32 pixels, patch 8, width 32, 2 blocks of 2 heads, MLP ratio 1.5, attention pooling).
`VISION_CFG` is open_clip's `vision_cfg` for it, with its sizes written out as well: open_clip
ignores them for timm towers, swift-clip reads them for names it does not know.
"""

NAME = "vit_pico_patch8_siglip_32"
VISION_CFG = {"image_size": 32, "timm_model_name": NAME, "timm_model_pretrained": False, "timm_pool": "map",
              "timm_proj": "none", "width": 32, "layers": 2, "head_width": 16, "patch_size": 8, "mlp_ratio": 1.5}


def register():
    """Registers the tower with timm (again is harmless)."""
    from timm.models import register_model
    from timm.models.vision_transformer import VisionTransformer

    def vit_pico_patch8_siglip_32(pretrained=False, **kwargs):
        for registry_only in ("pretrained_cfg", "pretrained_cfg_overlay", "cache_dir"):
            kwargs.pop(registry_only, None)
        return VisionTransformer(**{**dict(img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=2, mlp_ratio=1.5,
                                           class_token=False, global_pool="map"), **kwargs})

    vit_pico_patch8_siglip_32.__module__ = __name__
    register_model(vit_pico_patch8_siglip_32)
