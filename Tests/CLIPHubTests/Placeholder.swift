import CLIPHub
