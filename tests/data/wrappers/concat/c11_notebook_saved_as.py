{
 "cells": [
  {
   "cell_type": "code",
   "execution_count": null,
   "metadata": {},
   "outputs": [],
   "source": [
    "import tensorflow as tf"
   ]
  },
  {
   "cell_type": "code",
   "execution_count": null,
   "metadata": {},
   "outputs": [],
   "source": [
    "class ConcatBlock(tf.keras.Model):\n",
    "    \"\"\"Runs two blocks on the same input and concatenates their outputs.\"\"\"\n",
    "\n",
    "    def __init__(self, net1, net2, axis=-1):\n",
    "        super().__init__()\n",
    "        self.net1 = net1\n",
    "        self.net2 = net2\n",
    "        self.axis = axis\n",
    "\n",
    "    def call(self, X):\n",
    "        return tf.concat([self.net1(X), self.net2(X)], axis=self.axis)\n"
   ]
  },
  {
   "cell_type": "code",
   "execution_count": null,
   "metadata": {},
   "outputs": [],
   "source": [
    "print(ConcatBlock(tf.keras.layers.Dense(1), tf.keras.layers.Dense(2))(tf.ones((1, 3))))"
   ]
  }
 ],
 "metadata": {
  "colab": {
   "provenance": []
  },
  "kernelspec": {
   "display_name": "Python 3",
   "name": "python3"
  },
  "language_info": {
   "name": "python"
  }
 },
 "nbformat": 4,
 "nbformat_minor": 0
}
