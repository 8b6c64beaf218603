"""The forecasters: the LSTM (forecast.models.lstm, the only TensorFlow) and the baselines it is compared with.

Importing this package imports neither TensorFlow nor statsmodels: each is imported where it is used.
"""
