"""A ResNet-18 built by hand from torch.nn layers (torchvision's layout), for cross-checks."""


def build(torch, num_classes=1000):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, inp, planes, stride=1, down=None):
            super().__init__()
            self.conv1 = nn.Conv2d(inp, planes, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = down

        def forward(self, x):
            identity = x
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            if self.downsample is not None:
                identity = self.downsample(x)
            out += identity
            return self.relu(out)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            inp = 64
            for i, planes in enumerate([64, 128, 256, 512]):
                stride = 1 if i == 0 else 2
                down = None
                if stride != 1 or inp != planes:
                    down = nn.Sequential(nn.Conv2d(inp, planes, 1, stride, bias=False),
                                         nn.BatchNorm2d(planes))
                setattr(self, f"layer{i + 1}",
                        nn.Sequential(Block(inp, planes, stride, down), Block(planes, planes)))
                inp = planes
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512, num_classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    return Net()
