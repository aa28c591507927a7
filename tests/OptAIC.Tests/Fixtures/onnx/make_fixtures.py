#!/usr/bin/python3
"""Writes the ONNX test fixtures from models fitted by scikit-learn, with scikit-learn's own predictions.

An independent tool makes the files the engine imports: scikit-learn fits the models and the `onnx`
package's helper API writes the graphs from the fitted coefficients and trees, with the `ai.onnx.ml`
operators that the sklearn, LightGBM and XGBoost exporters emit (skl2onnx is not packaged in Debian).

Run from this folder with Debian's packages (apt-get install python3-onnx python3-sklearn python3-numpy):
    /usr/bin/python3 make_fixtures.py
Outputs (committed): rows.csv (inputs and labels), expected.csv (scikit-learn's predictions), *.onnx.
The data is rounded to 2 decimals so every value is exact in float32 and tree thresholds (midpoints)
never fall on a value: the float32 ONNX models then agree with scikit-learn to ~1e-6.
"""
import csv
import datetime
import os

import numpy as np
import onnx
from onnx import TensorProto, helper
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression

HERE = os.path.dirname(os.path.abspath(__file__))
ROWS = 240
FEATURES = ["x1", "x2", "x3", "x4"]
CLASSES = ["bear", "flat", "bull"]
# onnx 1.12 (Debian bookworm): IR version 8, default opset up to 17, ai.onnx.ml up to 3.
OPSETS = [helper.make_opsetid("", 15), helper.make_opsetid("ai.onnx.ml", 3)]


def data():
    rng = np.random.default_rng(20261202)
    x = np.round(rng.normal(size=(ROWS, len(FEATURES))), 2)
    y = np.round(0.8 * x[:, 0] - 0.5 * x[:, 1] + 0.3 * x[:, 2] * x[:, 3] + 0.2 * rng.normal(size=ROWS), 4)
    score = x[:, 0] - x[:, 1] + 0.5 * rng.normal(size=ROWS)
    label = np.digitize(score, [-0.7, 0.7])  # 0 bear, 1 flat, 2 bull
    return x, y, label


def save(graph, name):
    model = helper.make_model(graph, opset_imports=OPSETS, producer_name="optaic-fixtures-sklearn")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name))


def float_input(name, width):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, [None, width])


def linear_regressor(node_input, output, fitted, prefix=""):
    return helper.make_node(
        "LinearRegressor", [node_input], [output], domain="ai.onnx.ml", name=prefix + "LinearRegressor",
        coefficients=[float(c) for c in fitted.coef_], intercepts=[float(fitted.intercept_)], targets=1)


def linear(x, y):
    fitted = LinearRegression().fit(x, y)
    graph = helper.make_graph(
        [linear_regressor("float_input", "variable", fitted)], "linear_regression",
        [float_input("float_input", x.shape[1])],
        [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 1])])
    save(graph, "linear.onnx")
    return fitted.predict(x)


def two_inputs(x, y):
    """Two named inputs (price: x1, x2; volume: x3, x4) concatenated before one linear regressor."""
    fitted = LinearRegression().fit(x, y)
    nodes = [
        helper.make_node("Concat", ["price", "volume"], ["features"], axis=1, name="Concat"),
        linear_regressor("features", "variable", fitted),
    ]
    graph = helper.make_graph(
        nodes, "two_inputs", [float_input("price", 2), float_input("volume", 2)],
        [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 1])])
    save(graph, "two_inputs.onnx")
    return fitted.predict(x)


def gradient_boosting(x, y):
    fitted = GradientBoostingRegressor(n_estimators=25, max_depth=3, learning_rate=0.1, random_state=7).fit(x, y)
    attrs = {k: [] for k in [
        "nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values", "nodes_modes",
        "nodes_truenodeids", "nodes_falsenodeids", "target_treeids", "target_nodeids", "target_ids", "target_weights"]}
    for t, estimator in enumerate(fitted.estimators_[:, 0]):
        tree = estimator.tree_
        for n in range(tree.node_count):
            leaf = tree.children_left[n] == -1
            attrs["nodes_treeids"].append(t)
            attrs["nodes_nodeids"].append(n)
            attrs["nodes_featureids"].append(0 if leaf else int(tree.feature[n]))
            attrs["nodes_values"].append(0.0 if leaf else float(tree.threshold[n]))
            attrs["nodes_modes"].append("LEAF" if leaf else "BRANCH_LEQ")
            attrs["nodes_truenodeids"].append(0 if leaf else int(tree.children_left[n]))
            attrs["nodes_falsenodeids"].append(0 if leaf else int(tree.children_right[n]))
            if leaf:
                attrs["target_treeids"].append(t)
                attrs["target_nodeids"].append(n)
                attrs["target_ids"].append(0)
                attrs["target_weights"].append(float(tree.value[n][0][0]) * fitted.learning_rate)
    base = float(fitted.init_.constant_[0][0])
    node = helper.make_node(
        "TreeEnsembleRegressor", ["float_input"], ["variable"], domain="ai.onnx.ml", name="TreeEnsembleRegressor",
        n_targets=1, base_values=[base], aggregate_function="SUM", post_transform="NONE", **attrs)
    graph = helper.make_graph(
        [node], "gradient_boosting", [float_input("float_input", x.shape[1])],
        [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 1])])
    save(graph, "gbr.onnx")
    return fitted.predict(x)


def classifier(x, label):
    """A multinomial logistic regression, written twice: label + probabilities tensors (int classes),
    and the exporters' default, label + ZipMap (a sequence of maps, string classes)."""
    fitted = LogisticRegression(max_iter=1000).fit(x, label)
    coefficients = [float(c) for c in fitted.coef_.flatten()]
    intercepts = [float(c) for c in fitted.intercept_]

    tensor = helper.make_node(
        "LinearClassifier", ["float_input"], ["label", "probabilities"], domain="ai.onnx.ml", name="LinearClassifier",
        coefficients=coefficients, intercepts=intercepts, classlabels_ints=[0, 1, 2], multi_class=1,
        post_transform="SOFTMAX")
    save(helper.make_graph(
        [tensor], "classifier", [float_input("float_input", x.shape[1])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, len(CLASSES)])]),
        "classifier.onnx")

    nodes = [
        helper.make_node(
            "LinearClassifier", ["float_input"], ["output_label", "probability_tensor"], domain="ai.onnx.ml",
            name="LinearClassifier", coefficients=coefficients, intercepts=intercepts, classlabels_strings=CLASSES,
            multi_class=1, post_transform="SOFTMAX"),
        helper.make_node(
            "ZipMap", ["probability_tensor"], ["output_probability"], domain="ai.onnx.ml", name="ZipMap",
            classlabels_strings=CLASSES),
    ]
    # seq(map(string, float)); onnx 1.12's helper has no make_map_type_proto.
    map_type = onnx.TypeProto()
    map_type.map_type.key_type = TensorProto.STRING
    map_type.map_type.value_type.CopyFrom(helper.make_tensor_type_proto(TensorProto.FLOAT, []))
    zipmap_type = helper.make_sequence_type_proto(map_type)
    save(helper.make_graph(
        nodes, "classifier_zipmap", [float_input("float_input", x.shape[1])],
        [helper.make_tensor_value_info("output_label", TensorProto.STRING, [None]),
         helper.make_value_info("output_probability", zipmap_type)]),
        "classifier_zipmap.onnx")
    return fitted.predict(x), fitted.predict_proba(x)


def main():
    x, y, label = data()
    linear_pred = linear(x, y)
    two_pred = two_inputs(x, y)
    gbr_pred = gradient_boosting(x, y)
    class_pred, proba = classifier(x, label)
    start = datetime.date(2020, 1, 1)
    with open(os.path.join(HERE, "rows.csv"), "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["time", *FEATURES, "y", "regime"])
        for i in range(ROWS):
            out.writerow([(start + datetime.timedelta(days=i)).isoformat(), *[f"{v:.2f}" for v in x[i]],
                          f"{y[i]:.4f}", int(label[i])])
    with open(os.path.join(HERE, "expected.csv"), "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["linear", "two_inputs", "gbr", "class", *[f"p_{c}" for c in CLASSES]])
        for i in range(ROWS):
            out.writerow([repr(float(linear_pred[i])), repr(float(two_pred[i])), repr(float(gbr_pred[i])),
                          int(class_pred[i]), *[repr(float(p)) for p in proba[i]]])


if __name__ == "__main__":
    main()
