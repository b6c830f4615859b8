"""What the compile tests share: one training step of a model with an optimizer."""
import nn.functional as F


def train_step(model, opt):
    """``step(x, y) -> loss``: zero_grad, cross-entropy forward, backward, update."""
    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step
