"""The seed's MNIST program, as written for Keras 1 (see shared/seeds/004), on minikeras.

Keras 1 imports, SGD(lr=..., decay=...), the legacy compile(class_mode=...) argument, raw
0-255 pixels, 50 epochs with 30 % held out for validation. Run it with

    .venv/bin/python examples/mnist_mlp.py            # EPOCHS=5 for a quicker run

The only change: EPOCHS may be set from the environment (default 50, as in the seed).
"""
import os

import numpy

import minikeras as keras  # noqa: F401  (the seed says `import keras`)
from minikeras.datasets import mnist
from minikeras.layers.core import Activation, Dense, Dropout
from minikeras.models import Sequential
from minikeras.optimizers import SGD

EPOCHS = int(os.environ.get("EPOCHS", "50"))

# step 1: choose a model
model = Sequential()

# step 2: build the layers
model.add(Dense(500, input_shape=(784,)))  # input layer, 28*28=784
model.add(Activation('tanh'))               # tanh activation
model.add(Dropout(0.5))                     # 50 % dropout
model.add(Dense(500))                       # hidden layer of 500 units
model.add(Activation('tanh'))
model.add(Dropout(0.5))
model.add(Dense(10))                        # 10 classes
model.add(Activation('softmax'))            # softmax on the last layer

# step 3: compile
sgd = SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)
model.compile(loss='categorical_crossentropy', optimizer=sgd, class_mode='categorical')

# step 4: train
(X_train, y_train), (X_test, y_test) = mnist.load_data()
# MNIST images are (num, 28, 28): flatten each to 784 values for the Dense input
X_train = X_train.reshape(X_train.shape[0], X_train.shape[1] * X_train.shape[2])
X_test = X_test.reshape(X_test.shape[0], X_test.shape[1] * X_test.shape[2])
Y_train = (numpy.arange(10) == y_train[:, None]).astype(int)
Y_test = (numpy.arange(10) == y_test[:, None]).astype(int)

model.fit(X_train, Y_train, batch_size=200, epochs=EPOCHS, shuffle=True, verbose=0,
          validation_split=0.3)
print('test set')
scores = model.evaluate(X_test, Y_test, batch_size=200, verbose=0)
print()
print("The test loss is %f" % scores)  # noqa: UP031 (as the seed wrote it)

# step 5: output
result = model.predict(X_test, batch_size=200, verbose=0)
result_max = numpy.argmax(result, axis=1)
test_max = numpy.argmax(Y_test, axis=1)
result_bool = numpy.equal(result_max, test_max)
true_num = numpy.sum(result_bool)
print()
print("The accuracy of the model is %f" % (true_num / len(result_bool)))
