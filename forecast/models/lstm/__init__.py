"""The stacked LSTM: TensorFlow set-up, the Keras network, the fused ops and the trainer.

The only part of the package that imports TensorFlow; importing this package itself does not.
"""
