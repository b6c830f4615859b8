"""What the compile tests share: one training step of a model with an optimizer."""
import nn.functional as F


def train_step(model, opt, loss_fn=F.cross_entropy):
    """``step(x, y) -> loss``: zero_grad, forward and loss (cross-entropy unless told),
    backward, update."""
    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step
