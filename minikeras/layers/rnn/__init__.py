"""Recurrent layers: cells (one step), the RNN layer that runs a cell over time, and the
layers built on it (SimpleRNN, LSTM, GRU), Bidirectional and TimeDistributed."""
from minikeras.layers.rnn.bidirectional import Bidirectional  # noqa: F401
from minikeras.layers.rnn.cell import RecurrentCell  # noqa: F401
from minikeras.layers.rnn.dropout_rnn_cell import DropoutRNNCell  # noqa: F401
from minikeras.layers.rnn.gru import GRU  # noqa: F401
from minikeras.layers.rnn.gru_cell import GRUCell  # noqa: F401
from minikeras.layers.rnn.lstm import LSTM  # noqa: F401
from minikeras.layers.rnn.lstm_cell import LSTMCell  # noqa: F401
from minikeras.layers.rnn.rnn import RNN  # noqa: F401
from minikeras.layers.rnn.simple_rnn import SimpleRNN  # noqa: F401
from minikeras.layers.rnn.simple_rnn_cell import SimpleRNNCell  # noqa: F401
from minikeras.layers.rnn.stacked_rnn_cells import StackedRNNCells  # noqa: F401
from minikeras.layers.rnn.time_distributed import TimeDistributed  # noqa: F401
