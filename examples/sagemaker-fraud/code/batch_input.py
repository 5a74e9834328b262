"""Writes the test split's features without the label and without a header,
as a batch transform wants them: /opt/ml/processing/test/test.csv ->
/opt/ml/processing/batch/batch.csv."""
import os

import pandas as pd

test = pd.read_csv("/opt/ml/processing/test/test.csv")
os.makedirs("/opt/ml/processing/batch", exist_ok=True)
test.drop(columns=["fraud"]).to_csv("/opt/ml/processing/batch/batch.csv", header=False, index=False)
