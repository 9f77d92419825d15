"""Product images: presigned uploads from sellers, turned into four sizes on the product."""
