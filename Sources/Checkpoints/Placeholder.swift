import TensorIO
