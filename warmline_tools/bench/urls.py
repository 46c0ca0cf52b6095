"""The product's URLs plus the benchmark trigger (see `warmline_tools.bench.settings`)."""

from django.urls import path

from warmline.urls import urlpatterns as product_urlpatterns
from warmline_tools.bench.views import bench_publish

urlpatterns = [
    path("bench/publish", bench_publish, name="bench-publish"),
    *product_urlpatterns,
]
