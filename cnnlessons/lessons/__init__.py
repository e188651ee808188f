"""One module per lesson, named like its notebook: data, experiments and exercises."""

# Notebook number -> the module name shared by cnnlessons.lessons, .models and .widgets.
LESSONS = {
    "00": "start_here",
    "01": "alexnet_tricks",
    "02": "vgg_small_kernels",
    "03": "one_by_one",
    "04": "inception",
    "05": "fire_squeezenet",
    "06": "residual",
    "07": "transfer",
    "08": "architecture_shootout",
}
